"""Annealed Gaussian gradient noise (Neelakantan et al. 2015, "Adding gradient noise
improves learning for very deep networks", arXiv:1511.06807).

Before each update every gradient gets fresh noise whose variance decays with the
step count t = 0, 1, 2, ...:

    g <- g + N(0, sigma_t^2),      sigma_t^2 = eta / (1 + t)^gamma

The paper uses gamma = 0.55 and eta in {0.01, 0.3, 1.0}. Early on the noise helps
the optimiser leave poor regions of very deep or badly initialised networks; as
sigma_t shrinks, plain training takes over. The noise is drawn from minigrad's one
generator (`mg.manual_seed` makes it repeatable).
"""

import math

from minigrad import rng
from minigrad.optim.optimizer import check_hyperparameter

__all__ = ["GradientNoise", "add_gradient_noise_", "annealed_noise_std"]


def annealed_noise_std(step, eta=0.3, gamma=0.55):
    """sigma_t = sqrt(eta / (1 + t)^gamma), the noise's standard deviation at step t."""
    return math.sqrt(eta / (1 + step) ** gamma)


def add_gradient_noise_(parameters, std, generator=None):
    """g <- g + std * z, z ~ N(0, I), in place on every .grad that is not None.

    The noise is drawn in float64 and cast to each gradient's dtype.
    """
    generator = rng.default_generator() if generator is None else generator
    for p in parameters:
        if p.grad is not None:
            noise = generator.standard_normal(p.grad.shape) * std
            p.grad._data += noise.astype(p.grad.dtype)


class GradientNoise:
    """Wrap an optimiser so that each step() first adds annealed noise to the grads.

        opt = GradientNoise(SGD(model.parameters(), lr=0.1), eta=0.3, gamma=0.55)
        loss.backward(); opt.step(); opt.zero_grad()

    Everything else (param_groups, zero_grad, schedulers' access) goes to the
    wrapped optimiser. `state_dict()` adds the step counter "noise_step".
    """

    def __init__(self, optimizer, eta=0.3, gamma=0.55, generator=None):
        check_hyperparameter("GradientNoise", "eta", eta)
        check_hyperparameter("GradientNoise", "gamma", gamma)
        self.optimizer = optimizer
        self.eta = float(eta)
        self.gamma = float(gamma)
        self.generator = generator
        self.noise_step = 0

    def __getattr__(self, name):
        # only reached for names GradientNoise itself lacks: param_groups, state, ...
        if name == "optimizer":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.optimizer, name)

    def step(self, closure=None):
        if closure is not None:
            raise ValueError("GradientNoise.step: closures are not supported; call "
                             "backward() yourself before step()")
        std = annealed_noise_std(self.noise_step, self.eta, self.gamma)
        params = [p for group in self.optimizer.param_groups for p in group["params"]]
        add_gradient_noise_(params, std, self.generator)
        self.noise_step += 1
        return self.optimizer.step()

    def state_dict(self):
        state = self.optimizer.state_dict()
        state["noise_step"] = self.noise_step
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        noise_step = int(state_dict.pop("noise_step", 0))
        self.optimizer.load_state_dict(state_dict)  # checks everything first
        self.noise_step = noise_step


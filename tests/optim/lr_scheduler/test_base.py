"""The chained step LRScheduler derives from each closed form.

Every closed-form schedule is stepped one step at a time and compared, at every
step, with its formula transcribed here from the docs (not from the code); the
same formula must come out of step(epoch) jumps. Chaining two schedulers on one
optimiser, and resuming with last_epoch, are compared with torch.optim.
"""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import SGD
from minigrad.optim import lr_scheduler as sch

BASE_LRS = (0.1, 0.02)
STEPS = 30


def make_optimizer():
    params = [mg.tensor(np.ones(2, dtype=np.float64), requires_grad=True) for _ in range(2)]
    return SGD([{"params": [params[0]], "lr": BASE_LRS[0]},
                {"params": [params[1]], "lr": BASE_LRS[1]}], lr=0.5, momentum=0.9)


def make_torch_optimizer():
    torch = pytest.importorskip("torch")
    params = [torch.ones(2, requires_grad=True) for _ in range(2)]
    return torch.optim.SGD([{"params": [params[0]], "lr": BASE_LRS[0]},
                            {"params": [params[1]], "lr": BASE_LRS[1]}], lr=0.5, momentum=0.9)


def cosine_lr(t, base, T, eta_min):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T)) / 2


# name -> (constructor, lr(t, base_lr) written from the schedule's definition)
FORMULAS = {
    "step": (lambda o: sch.StepLR(o, step_size=4, gamma=0.5),
             lambda t, b: b * 0.5 ** math.floor(t / 4)),
    "multistep_with_zero": (lambda o: sch.MultiStepLR(o, milestones=[0, 3, 3, 10], gamma=0.2),
                            lambda t, b: b * 0.2 ** len([m for m in (0, 3, 3, 10) if t >= m])),
    "constant": (lambda o: sch.ConstantLR(o, factor=0.4, total_iters=6),
                 lambda t, b: b * 0.4 if t < 6 else b),
    "constant_zero": (lambda o: sch.ConstantLR(o, factor=0.0, total_iters=3),
                      lambda t, b: 0.0 if t < 3 else b),
    "linear_warmup": (lambda o: sch.LinearLR(o, start_factor=0.25, total_iters=8),
                      lambda t, b: b * (0.25 + 0.75 * t / 8) if t < 8 else b),
    "linear_decay": (lambda o: sch.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                            total_iters=12),
                     lambda t, b: b * (1.0 - 0.9 * min(t, 12) / 12)),
    "exponential": (lambda o: sch.ExponentialLR(o, gamma=0.9),
                    lambda t, b: b * math.exp(t * math.log(0.9))),
    "polynomial": (lambda o: sch.PolynomialLR(o, total_iters=10, power=3.0),
                   lambda t, b: b * max(0.0, (10 - t) / 10) ** 3),
    "cosine": (lambda o: sch.CosineAnnealingLR(o, T_max=7),
               lambda t, b: cosine_lr(t, b, 7, 0.0)),
    "cosine_eta_min": (lambda o: sch.CosineAnnealingLR(o, T_max=5, eta_min=0.004),
                       lambda t, b: cosine_lr(t, b, 5, 0.004)),
    "inverse_time": (lambda o: sch.InverseTimeLR(o, tau=3),
                     lambda t, b: b if t <= 3 else b * 3 / t),
    "lambda": (lambda o: sch.LambdaLR(o, lambda t: 1.0 / (1.0 + 0.3 * t)),
               lambda t, b: b / (1.0 + 0.3 * t)),
    "multiplicative": (lambda o: sch.MultiplicativeLR(o, lambda t: 0.5 if t % 5 == 0 else 1.0),
                       lambda t, b: b * 0.5 ** (t // 5)),
}


def expected_history(formula, steps=STEPS):
    return np.array([[formula(t, base) for base in BASE_LRS] for t in range(steps + 1)])


def stepped_history(scheduler, steps=STEPS):
    history = [scheduler.get_last_lr()]
    for _ in range(steps):
        scheduler.step()
        history.append(scheduler.get_last_lr())
    return np.array(history)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_stepping_one_at_a_time_follows_the_closed_form(name):
    make, formula = FORMULAS[name]
    np.testing.assert_allclose(stepped_history(make(make_optimizer())),
                               expected_history(formula), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(set(FORMULAS) - {"multiplicative"}))
def test_jumping_with_step_epoch_gives_the_closed_form(name):
    make, formula = FORMULAS[name]
    scheduler = make(make_optimizer())
    for t in [9, 2, 17, 0, 5, 30]:  # out of order: a jump ignores the current lr
        scheduler.step(t)
        np.testing.assert_allclose(scheduler.get_last_lr(), [formula(t, b) for b in BASE_LRS],
                                   rtol=1e-12, atol=1e-15, err_msg=f"epoch {t}")


def test_a_closed_form_subclass_only_writes_its_factor():
    class HalfEveryThird(sch.LRScheduler):
        def factor_at(self, t, group_index):
            return 0.5 ** (t // 3)

    history = stepped_history(HalfEveryThird(make_optimizer()), 10)
    np.testing.assert_allclose(history, expected_history(lambda t, b: b * 0.5 ** (t // 3), 10),
                               rtol=1e-12)


def test_a_scheduler_with_neither_factor_nor_get_lr_says_so():
    with pytest.raises(NotImplementedError, match="Bare: a scheduler defines factor_at"):
        type("Bare", (sch.LRScheduler,), {})(make_optimizer())


# ------------------------------------------------------------------ torch parity
def torch_twin(lib, name, optimizer):
    """The same schedule, built from `lib` (ours or torch.optim.lr_scheduler)."""
    return {
        "step": lambda: lib.StepLR(optimizer, step_size=3, gamma=0.5),
        "multistep": lambda: lib.MultiStepLR(optimizer, milestones=[0, 4, 4, 9], gamma=0.3),
        "constant": lambda: lib.ConstantLR(optimizer, factor=0.5, total_iters=5),
        "linear": lambda: lib.LinearLR(optimizer, start_factor=0.2, total_iters=6),
        "exponential": lambda: lib.ExponentialLR(optimizer, gamma=0.93),
        "polynomial": lambda: lib.PolynomialLR(optimizer, total_iters=7, power=2.0),
        "cosine": lambda: lib.CosineAnnealingLR(optimizer, T_max=4, eta_min=0.003),
        "lambda": lambda: lib.LambdaLR(optimizer, lambda t: 0.97 ** t),
        "multiplicative": lambda: lib.MultiplicativeLR(optimizer, lambda t: 0.95),
    }[name]()


CHAINED_PAIRS = [("linear", "cosine"), ("cosine", "exponential"), ("step", "polynomial"),
                 ("constant", "multistep"), ("polynomial", "cosine"), ("exponential", "lambda"),
                 ("lambda", "step"), ("multiplicative", "linear"), ("cosine", "cosine")]


def lr_trace(lib, optimizer, names, steps=STEPS):
    schedulers = [torch_twin(lib, name, optimizer) for name in names]
    trace = []
    for _ in range(steps):
        trace.append([group["lr"] for group in optimizer.param_groups])
        if lib is not sch:  # torch warns when a scheduler steps before its optimiser
            optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
    return np.array(trace)


@pytest.mark.parity
@pytest.mark.parametrize("names", CHAINED_PAIRS, ids="+".join)
def test_two_schedulers_on_one_optimiser_chain_as_in_torch(names):
    torch = pytest.importorskip("torch")
    ours = lr_trace(sch, make_optimizer(), names)
    theirs = lr_trace(torch.optim.lr_scheduler, make_torch_optimizer(), names)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def resumed(lib, name, optimizer, last_epoch):
    """The schedule `name` from `lib`, built to resume after step `last_epoch`."""
    make = {"step": lambda: lib.StepLR(optimizer, 3, 0.5, last_epoch),
            "multistep": lambda: lib.MultiStepLR(optimizer, [3, 5], 0.3, last_epoch),
            "constant": lambda: lib.ConstantLR(optimizer, 0.5, 4, last_epoch),
            "linear": lambda: lib.LinearLR(optimizer, 0.2, 1.0, 6, last_epoch),
            "exponential": lambda: lib.ExponentialLR(optimizer, 0.9, last_epoch),
            "polynomial": lambda: lib.PolynomialLR(optimizer, 7, 2.0, last_epoch),
            "cosine": lambda: lib.CosineAnnealingLR(optimizer, 6, 0.001, last_epoch),
            "lambda": lambda: lib.LambdaLR(optimizer, lambda t: 0.9 ** t, last_epoch),
            "multiplicative": lambda: lib.MultiplicativeLR(optimizer, lambda t: 0.8,
                                                           last_epoch)}
    return make[name]()


@pytest.mark.parity
@pytest.mark.parametrize("name", ["step", "multistep", "constant", "linear", "exponential",
                                  "polynomial", "cosine", "lambda", "multiplicative"])
@pytest.mark.parametrize("last_epoch", [2, 3, 4])
def test_resuming_with_last_epoch_matches_torch(name, last_epoch):
    """Built with last_epoch=k on groups that already hold an lr: the constructor's step."""
    torch = pytest.importorskip("torch")
    traces = []
    for lib, optimizer in ((sch, make_optimizer()), (torch.optim.lr_scheduler,
                                                     make_torch_optimizer())):
        for group in optimizer.param_groups:
            group["initial_lr"], group["lr"] = group["lr"], group["lr"] * 0.7
        scheduler = resumed(lib, name, optimizer, last_epoch)
        trace = [scheduler.get_last_lr()]
        for _ in range(8):
            if lib is not sch:
                optimizer.step()
            scheduler.step()
            trace.append(scheduler.get_last_lr())
        traces.append(np.array(trace))
    np.testing.assert_allclose(traces[0], traces[1], rtol=1e-12, atol=1e-15)

# %% [markdown]
# # Assignment 3: Optimisation
#
# SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam as small update functions,
# learning-rate schedules, gradient clipping, and the paths they take on an
# ill-conditioned quadratic and on Rosenbrock's valley. Complete `optimisers.py`;
# check your work with `python -m minigrad grade .` in this folder.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import optimisers  # noqa: E402

# %% [markdown]
# ## Task 3.1: SGD, momentum and Nesterov

# %%
w = np.array([1.5, -0.5])
optimisers.sgd_step(w, optimisers.quadratic_grad(w), {}, lr=0.05, momentum=0.9)
print(w)

# %% [markdown]
# ## Task 3.2: AdaGrad and RMSProp

# %%
w = np.array([1.5, -0.5])
optimisers.adagrad_step(w, optimisers.quadratic_grad(w), {}, lr=0.5)
optimisers.rmsprop_step(w, optimisers.quadratic_grad(w), {}, lr=0.01)
print(w)

# %% [markdown]
# ## Task 3.3: Adam with bias correction

# %%
w = np.array([1.5, -0.5])
optimisers.adam_step(w, optimisers.quadratic_grad(w), {}, lr=0.1)
print(w)

# %% [markdown]
# ## Task 3.4: schedules

# %%
print([round(optimisers.warmup_cosine_lr(0.1, t, 3, 10), 4) for t in range(10)])
print([optimisers.step_lr(0.1, e, 3) for e in range(7)], optimisers.inverse_time_lr(0.1, 9, 1))

# %% [markdown]
# ## Task 3.5: gradient clipping

# %%
grads = [np.array([3.0, 0.0]), np.array([0.0, 4.0])]
print(optimisers.clip_grad_norm(grads, 1.0), grads)

# %% [markdown]
# ## Task 3.6: paths on Rosenbrock's valley

# %%
runs = {"SGD+momentum": (optimisers.sgd_step, {"lr": 1e-4, "momentum": 0.9}),
        "RMSProp": (optimisers.rmsprop_step, {"lr": 1e-3}),
        "Adam": (optimisers.adam_step, {"lr": 0.02})}
fig, ax = plt.subplots(figsize=(5, 4))
xs, ys = np.meshgrid(np.linspace(-1.5, 1.5, 100), np.linspace(-0.5, 2, 100))
ax.contour(xs, ys, (1 - xs) ** 2 + 100 * (ys - xs ** 2) ** 2, levels=np.logspace(-1, 3, 12))
for name, (step, hyper) in runs.items():
    path = optimisers.optimise(step, [-1.0, 1.5], optimisers.rosenbrock_grad, 300, **hyper)
    ax.plot(path[:, 0], path[:, 1], label=name)
ax.legend()
fig.savefig("paths.png", dpi=80)

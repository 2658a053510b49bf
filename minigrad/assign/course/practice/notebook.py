# %% [markdown]
# # Assignment 4: Training practice
#
# Initialisation and what it does to activations, an LR range test, early stopping,
# augmentation, transfer learning, and a stated accuracy to reach. Complete
# `practice.py`; check your work with `python -m minigrad grade .` in this folder.

# %%
import numpy as np
import practice

import minigrad.nn as nn

# %% [markdown]
# ## Task 4.1: initialisation and activation statistics
# The per-layer standard deviations of a 10-layer network for four initialisations.

# %%
for scheme, f in [("normal0.01", "tanh"), ("normal0.05", "tanh"), ("xavier", "tanh"),
                  ("kaiming", "relu")]:
    print(f"{scheme:>10} {f}: " + " ".join(f"{s:.2g}" for s in practice.layer_stds(scheme, f)))

# %% [markdown]
# ## Task 4.2: an LR range test

# %%
lrs, losses = practice.lr_range_test(lambda lr: 1 / (1 + 10 * lr) + lr ** 3, 1e-3, 100, 26)
print(f"{len(lrs)} steps, suggested lr {practice.suggest_lr(lrs, losses):.3g}")

# %% [markdown]
# ## Task 4.3: early stopping

# %%
stopper = practice.EarlyStopping(patience=2)
print([stopper.step(v) for v in [1.0, 0.8, 0.9, 0.85]], stopper.best_epoch)

# %% [markdown]
# ## Task 4.4: augmentation

# %%
digits = np.arange(16.0).reshape(1, 1, 4, 4)
print(practice.horizontal_flip(digits, np.random.default_rng(0), p=1.0)[0, 0])
print(practice.random_crop(digits, 1, np.random.default_rng(0))[0, 0])

# %% [markdown]
# ## Task 4.5: transfer learning

# %%
backbone, head = nn.Sequential(nn.Linear(4, 8), nn.ReLU()), nn.Linear(8, 2)
print([g["lr"] for g in practice.finetune_param_groups(backbone, head, 0.1)])
practice.freeze(backbone)
print([p.requires_grad for p in backbone.parameters()])

# %% [markdown]
# ## Task 4.6: 95 % test accuracy on the digits

# %%
print(f"test accuracy {practice.train_to_accuracy():.3f}")

# %% [markdown]
# # Assignment 2: Layers
#
# Linear, convolution by im2col, max pooling, batch norm and dropout, each written
# by you in `layers.py`, then a small CNN on the embedded digits made of them.
# Check your work with `python -m minigrad grade .` in this folder.

# %%
import layers
import numpy as np

import minigrad as mg

# %% [markdown]
# ## Task 2.1: linear

# %%
x = mg.tensor(np.random.randn(4, 3), requires_grad=True)
w = mg.tensor(np.random.randn(2, 3), requires_grad=True)
b = mg.tensor(np.zeros(2), requires_grad=True)
print(layers.Linear.apply(x, w, b).shape)

# %% [markdown]
# ## Task 2.2: im2col and col2im
# Each 3x3 receptive field of a 4x4 image becomes one column.

# %%
image = np.arange(16.0).reshape(1, 1, 4, 4)
print(layers.im2col(image, 3, 3, 1, 0)[0])

# %% [markdown]
# ## Task 2.3: conv2d

# %%
x = mg.tensor(np.random.randn(2, 3, 6, 6), requires_grad=True)
w = mg.tensor(np.random.randn(4, 3, 3, 3), requires_grad=True)
b = mg.tensor(np.zeros(4), requires_grad=True)
print(mg.gradcheck(lambda x, w, b: layers.Conv2d.apply(x, w, b, 1, 1), (x, w, b)))

# %% [markdown]
# ## Task 2.4: max pooling

# %%
print(layers.MaxPool2d.apply(mg.tensor(image), 2))

# %% [markdown]
# ## Task 2.5: batch norm

# %%
running_mean, running_var = np.zeros(3), np.ones(3)
batch = mg.tensor(np.random.randn(16, 3) * 3 + 2)
out = layers.batch_norm(batch, mg.tensor(np.ones(3)), mg.tensor(np.zeros(3)),
                        running_mean, running_var, training=True)
print(out.numpy().mean(axis=0).round(6), running_mean)

# %% [markdown]
# ## Task 2.6: inverted dropout

# %%
print(layers.dropout(mg.tensor(np.ones((2, 6))), 0.5, True, np.random.default_rng(0)))

# %% [markdown]
# ## Task 2.7: a small CNN on the digits, trained with your layers

# %%
model, accuracy = layers.train_digits()
print(f"test accuracy {accuracy:.3f}")

# %% [markdown]
# # Assignment 1: Autodiff
#
# You will write the backward walk of a small graph of your own, then ops in
# minigrad's `mg.Function` form, and the gradient check that tells you whether a
# backward is right. Complete `autodiff.py`; this notebook calls your functions in
# task order. Check your work with `python -m minigrad grade .` in this folder.

# %%
import autodiff
import numpy as np

import minigrad as mg

# %% [markdown]
# ## Task 1.1: the backward walk
# `y = x*x + x` uses `x` three times; its gradient at 3 is 2*3 + 1 = 7.

# %%
x = autodiff.leaf(3.0)
y = autodiff.add(autodiff.mul(x, x), x)
print([node.value.item() for node in autodiff.topological_order(y)])
autodiff.backward(y)
print("dy/dx =", x.grad)

# %% [markdown]
# ## Task 1.2: broadcasting gradients
# A (3, 4) times a (4,): the gradient of the (4,) input sums over the rows.

# %%
a = mg.tensor(np.random.randn(3, 4), requires_grad=True)
b = mg.tensor(np.random.randn(4), requires_grad=True)
autodiff.Mul.apply(a, b).sum().backward()
print(b.grad.shape, np.allclose(b.grad.numpy(), a.numpy().sum(axis=0)))

# %% [markdown]
# ## Task 1.3: matmul and reductions

# %%
a = mg.tensor(np.random.randn(3, 4), requires_grad=True)
w = mg.tensor(np.random.randn(4, 2), requires_grad=True)
loss = autodiff.SumAxis.apply(autodiff.MatMul.apply(a, w), 1).sum()
loss.backward()
print(w.grad.shape)

# %% [markdown]
# ## Task 1.4: a stable log-softmax
# Logits near 1000 overflow `exp`; subtracting the maximum first does not.

# %%
logits = mg.tensor(np.array([[1000.0, 1001.0, 999.0]]), requires_grad=True)
print(autodiff.LogSoftmax.apply(logits), autodiff.softmax(logits.numpy()))

# %% [markdown]
# ## Task 1.5: gradient checking, on your own ops

# %%
inputs = [mg.tensor(np.random.randn(3, 4), requires_grad=True),
          mg.tensor(np.random.randn(4), requires_grad=True)]
print("Mul       ", autodiff.check_gradient(autodiff.Mul.apply, inputs))
print("LogSoftmax", autodiff.check_gradient(autodiff.LogSoftmax.apply, inputs[:1]))

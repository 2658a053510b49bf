"""Embedding: the lookup as indexing, its scatter-add gradient against a loop,
padding_idx, and PyTorch's values where it is installed."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from tests.helpers import rng


def test_lookup_and_gradient_against_a_loop():
    table = nn.Embedding(5, 3)
    idx = mg.tensor([[0, 2, 2], [4, 0, 1]])
    out = table(idx)
    assert out.shape == (2, 3, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy()[1, 0], table.weight.numpy()[4])
    upstream = rng(0).standard_normal((2, 3, 3)).astype(np.float32)
    (out * mg.tensor(upstream)).sum().backward()
    expected = np.zeros((5, 3), np.float32)
    for i in range(2):
        for j in range(3):
            expected[idx.numpy()[i, j]] += upstream[i, j]
    np.testing.assert_allclose(table.weight.grad.numpy(), expected, rtol=1e-6)


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    table = nn.Embedding(4, 2, padding_idx=1)
    assert table.weight.numpy()[1].tolist() == [0.0, 0.0]
    table(mg.tensor([1, 1, 3])).sum().backward()
    assert table.weight.grad.numpy()[1].tolist() == [0.0, 0.0]
    assert table.weight.grad.numpy()[3].tolist() == [1.0, 1.0]


def test_gradcheck_through_the_lookup():
    weight = mg.tensor(rng(1).standard_normal((4, 3)), requires_grad=True)
    assert mg.gradcheck(lambda w: F.embedding(mg.tensor([[3, 0], [0, 0]]), w), (weight,))


def test_bad_indices_are_named():
    table = nn.Embedding(3, 2)
    with pytest.raises(IndexError, match=r"embedding: index out of range: indices span \[0, 3\]"):
        table(mg.tensor([0, 3]))
    with pytest.raises(mg.DTypeError, match="embedding: indices must be integers"):
        table(mg.tensor([0.0, 1.0]))
    frozen = nn.Embedding.from_pretrained(np.eye(3))
    assert not frozen.weight.requires_grad and frozen(mg.tensor([2])).tolist() == [[0, 0, 1]]


@pytest.mark.parity
def test_against_pytorch():
    torch = pytest.importorskip("torch")
    weight = rng(2).standard_normal((6, 4))
    idx = np.array([[5, 0, 2], [2, 2, 1]])
    ours = mg.tensor(weight, requires_grad=True)
    theirs = torch.tensor(weight, requires_grad=True)
    out = F.embedding(mg.tensor(idx), ours, padding_idx=2)
    ref = torch.nn.functional.embedding(torch.tensor(idx), theirs, padding_idx=2)
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    (out ** 2).sum().backward()
    (ref ** 2).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)

"""F.one_hot (in minigrad/nn/functional.py): values, shapes, dtype and errors against
PyTorch and a loop. (Kept apart from test_functional.py, which others edit now.)"""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.errors import DTypeError

CASES = [
    (np.int64([0, 2, 1]), -1), (np.int64([0, 2, 1]), 4), (np.int64([[0], [2]]), 3),
    (np.array(2, np.int64), 3), (np.int64([]), 3), (np.int64([[3, 0, 1], [1, 1, 4]]), -1),
]


@pytest.mark.parity
@pytest.mark.parametrize("classes,num_classes", CASES)
def test_one_hot_matches_pytorch(classes, num_classes):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.functional.one_hot(torch.from_numpy(classes), num_classes).numpy()
    ours = F.one_hot(mg.tensor(classes), num_classes)
    assert isinstance(ours, mg.Tensor) and ours.dtype == np.int64
    np.testing.assert_array_equal(ours.numpy(), theirs)


def test_one_hot_against_a_loop_and_on_numpy_input():
    classes = np.random.default_rng(0).integers(0, 5, size=(4, 3)).astype(np.int32)
    out = F.one_hot(classes, 6).numpy()
    assert out.shape == (4, 3, 6)
    for index in np.ndindex(classes.shape):
        for k in range(6):
            assert out[index + (k,)] == (1 if classes[index] == k else 0)


@pytest.mark.parity
@pytest.mark.parametrize("classes,num_classes,message", [
    (np.int64([0, 3]), 3, "smaller than num_classes"),
    (np.int64([0, -1]), 3, "non-negative"),
    (np.int64([0, -1]), -1, "non-negative"),
    (np.int64([]), -1, "cannot infer"),
    (np.int64([0, 1]), 0, "smaller than num_classes"),
    (np.int64([0, 1]), -2, "num_classes must be"),
])
def test_one_hot_refuses_what_pytorch_refuses(classes, num_classes, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.nn.functional.one_hot(torch.from_numpy(classes), num_classes)
    with pytest.raises(ValueError, match=f"one_hot: .*{message}"):
        F.one_hot(mg.tensor(classes), num_classes)


def test_one_hot_needs_integer_classes():
    for bad in (np.float32([0, 1]), np.array([True, False])):
        with pytest.raises(DTypeError, match="one_hot: needs integer class indices"):
            F.one_hot(mg.tensor(bad), 3)

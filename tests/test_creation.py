"""minigrad.creation: constructors and random sampling with PyTorch's argument forms.

Random streams differ from PyTorch's by design, so random functions are tested for
their distribution (fixed seeds, bounds of several standard errors) and, against
PyTorch, for everything deterministic: shapes, dtypes, argument forms and errors.
"""

import itertools

import numpy as np
import pytest

import minigrad as mg
from minigrad.errors import DeviceError, DTypeError, ShapeError

SEED = 1234


def generator():
    return mg.Generator().manual_seed(SEED)


def weights(*values):
    return mg.tensor(np.array(values, dtype=np.float32))


# ---------------------------------------------------------------- shapes, dtypes, devices
SIZE_FORMS = [((2, 3), {}), (((2, 3),), {}), (([2, 3],), {}), ((), {"size": (2, 3)}),
              (((),), {}), ((0, 4), {})]


@pytest.mark.parity
@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "randn", "rand"])
@pytest.mark.parametrize("args,kwargs", SIZE_FORMS)
def test_size_forms_match_pytorch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(mg, name)(*args, **kwargs), getattr(torch, name)(*args, **kwargs)
    assert ours.shape == tuple(theirs.shape)
    assert np.dtype(ours.dtype).name == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parity
@pytest.mark.parametrize("make", [
    lambda lib: lib.randint(10, (3,)),
    lambda lib: lib.randint(3, 10, (2, 2)),
    lambda lib: lib.randint(high=5, size=(4,)),
    lambda lib: lib.randint(2, high=5, size=(1, 3)),
    lambda lib: lib.randint(0, 10, ()),
    lambda lib: lib.randint(0, 10, (3,), dtype=lib.float32),
    lambda lib: lib.randint(0, 2, (3,), dtype=lib.bool),
    lambda lib: lib.randperm(5),
    lambda lib: lib.randperm(0),
    lambda lib: lib.randperm(4, dtype=lib.float64),
    lambda lib: lib.normal(0.0, 1.0, (2, 3)),
    lambda lib: lib.normal(0, 1, size=(2,)),
    lambda lib: lib.normal(lib.zeros(3), 1.0),
    lambda lib: lib.normal(0.0, lib.ones(3)),
    lambda lib: lib.normal(lib.zeros(2, 1), lib.ones(3)),
    lambda lib: lib.normal(lib.zeros(3, dtype=lib.float64), 1.0),
    lambda lib: lib.normal(mean=lib.zeros(2)),
    lambda lib: lib.normal(2.0, 3.0, size=(2,), dtype=lib.float64),
    lambda lib: lib.multinomial(lib.ones(3), 2),
    lambda lib: lib.multinomial(lib.ones(4, 3, dtype=lib.float64), 5, True),
    lambda lib: lib.multinomial(lib.ones(0, 3), 1),
    lambda lib: lib.full((2,), 7),
    lambda lib: lib.full((2,), True),
    lambda lib: lib.full((2, 1), 7.0),
    lambda lib: lib.full_like(lib.zeros(2, dtype=lib.int64), 2.7),
    lambda lib: lib.zeros_like(lib.zeros(2), dtype=lib.int64),
    lambda lib: lib.empty_like(lib.ones(2, 2, dtype=lib.float64)),
    lambda lib: lib.randn_like(lib.zeros(2, 3, dtype=lib.float64)),
    lambda lib: lib.rand_like(lib.zeros(4)),
    lambda lib: lib.zeros(2, 3, dtype=float),
    lambda lib: lib.arange(end=5),
    lambda lib: lib.arange(1, 2, 0.25),
    lambda lib: lib.eye(2, 3, dtype=lib.int64),
    lambda lib: lib.tensor(np.array([1, 2], dtype=np.int32), dtype=lib.float64),
])
def test_shapes_and_dtypes_match_pytorch(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(mg), make(torch)
    assert ours.shape == tuple(theirs.shape)
    assert np.dtype(ours.dtype).name == str(theirs.dtype).removeprefix("torch.")


def test_deterministic_values_of_fills():
    np.testing.assert_array_equal(mg.full_like(mg.zeros(2, dtype=mg.int64), 2.7).numpy(), [2, 2])
    np.testing.assert_array_equal(mg.full((2,), 7).numpy(), [7, 7])
    np.testing.assert_array_equal(mg.empty(2, 2).numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(mg.arange(1, end=4).numpy(), [1, 2, 3])


@pytest.mark.parametrize("make", [
    lambda **k: mg.tensor([1.0], **k), lambda **k: mg.zeros(2, **k), lambda **k: mg.ones(2, **k),
    lambda **k: mg.empty(2, **k), lambda **k: mg.full((2,), 1.0, **k),
    lambda **k: mg.zeros_like(mg.ones(2), **k), lambda **k: mg.ones_like(mg.ones(2), **k),
    lambda **k: mg.empty_like(mg.ones(2), **k), lambda **k: mg.full_like(mg.ones(2), 3, **k),
    lambda **k: mg.arange(3, **k), lambda **k: mg.linspace(0, 1, 3, **k),
    lambda **k: mg.eye(2, **k), lambda **k: mg.randn(2, **k), lambda **k: mg.rand(2, **k),
    lambda **k: mg.randn_like(mg.ones(2), **k), lambda **k: mg.rand_like(mg.ones(2), **k),
    lambda **k: mg.randint(3, (2,), **k), lambda **k: mg.randperm(3, **k),
    lambda **k: mg.normal(0.0, 1.0, (2,), **k),
])
def test_every_constructor_takes_device_and_dtype(make):
    assert isinstance(make(device="cpu"), mg.Tensor)
    assert make(device=mg.device("cpu"), dtype=mg.float64).dtype == np.float64
    with pytest.raises(DeviceError, match="not available"):
        make(device="cuda")
    with pytest.raises(DTypeError, match="is not a dtype"):
        make(dtype="nonsense")


@pytest.mark.parity
@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(2, -1),
    lambda lib: lib.zeros(2.0),
    lambda lib: lib.randn(2, dtype=lib.int64),
    lambda lib: lib.rand(2, dtype=lib.int64),
    lambda lib: lib.randint(5, 5, (3,)),
    lambda lib: lib.randint(6, 5, (3,)),
    lambda lib: lib.randint(0, 10, 5),
    lambda lib: lib.randint(10),
    lambda lib: lib.randint(2.5, 10, (3,)),
    lambda lib: lib.randint(0, 10, (-1,)),
    lambda lib: lib.randint(0, 300, (3,), dtype=lib.uint8),
    lambda lib: lib.randint(0, 10, (3,), requires_grad=True),
    lambda lib: lib.randperm(-1),
    lambda lib: lib.randperm(3.0),
    lambda lib: lib.normal(0.0, 1.0),
    lambda lib: lib.normal(lib.zeros(3), lib.ones(3), (3,)),
    lambda lib: lib.normal(0.0, -1.0, (2,)),
    lambda lib: lib.normal(lib.zeros(3), lib.tensor([1.0, -1.0, 1.0])),
    lambda lib: lib.normal(lib.zeros(2), lib.ones(3)),
    lambda lib: lib.normal(lib.zeros(3, dtype=lib.int64), 1.0),
    lambda lib: lib.linspace(0, 1, -1),
    lambda lib: lib.linspace(0, 1, 2.0),
])
def test_bad_arguments_are_refused_as_pytorch_refuses_them(call):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception):  # noqa: B017  (PyTorch's types vary; ours are below)
        call(torch)
    with pytest.raises((TypeError, ValueError)) as error:
        call(mg)
    assert str(error.value).split(":")[0] in {"zeros", "randn", "rand", "randint", "randperm",
                                               "normal", "linspace", "requires_grad_", "tensor"}


# ---------------------------------------------------------------- distributions
def test_randn_is_standard_normal():
    x = mg.randn(200_000, generator=generator()).numpy().astype(np.float64)
    assert abs(x.mean()) < 0.015 and abs(x.std() - 1) < 0.01   # standard errors 0.0022, 0.0016
    assert abs(np.mean(np.abs(x) < 1) - 0.6827) < 0.005


def test_rand_is_uniform_on_the_half_open_unit_interval():
    for dtype in (mg.float32, mg.float64, mg.float16):
        u = mg.rand(100_000, generator=generator(), dtype=dtype).numpy()
        assert u.dtype == dtype and u.min() >= 0 and u.max() < 1
        assert abs(u.astype(np.float64).mean() - 0.5) < 0.006  # standard error 0.0009
    counts = np.histogram(mg.rand(100_000, generator=generator()).numpy(), 10, (0, 1))[0]
    assert np.all(np.abs(counts / 100_000 - 0.1) < 0.005)


def test_randint_is_uniform_on_low_to_high():
    x = mg.randint(-3, 7, (100_000,), generator=generator()).numpy()
    assert x.min() == -3 and x.max() == 6
    frequencies = np.bincount(x + 3) / len(x)
    assert np.all(np.abs(frequencies - 0.1) < 0.005)  # standard error 0.00095


def test_randperm_is_a_uniform_permutation():
    g = generator()
    draws = [tuple(mg.randperm(3, generator=g).numpy()) for _ in range(6000)]
    for permutation in itertools.permutations(range(3)):
        assert abs(draws.count(permutation) / 6000 - 1 / 6) < 0.025  # standard error 0.0048
    assert sorted(mg.randperm(50, generator=g).numpy()) == list(range(50))


def test_normal_broadcasts_mean_and_std():
    mean = mg.tensor(np.array([[0.0], [10.0]], np.float64))
    std = mg.tensor(np.array([1.0, 0.1, 5.0], np.float64))
    columns = np.stack([mg.normal(mean, std, generator=g).numpy()
                        for g in [generator()] for _ in range(20_000)])
    assert columns.shape == (20_000, 2, 3)
    np.testing.assert_allclose(columns.mean(0), [[0, 0, 0], [10, 10, 10]], atol=0.12)
    np.testing.assert_allclose(columns.std(0), [[1, 0.1, 5]] * 2, rtol=0.03)
    assert np.all(mg.normal(3.0, 0.0, (4,)).numpy() == 3)


def test_multinomial_with_replacement_follows_the_weights():
    p = np.array([0.1, 0.0, 0.6, 0.3])
    draws = mg.multinomial(weights(1, 0, 6, 3), 100_000, replacement=True,
                           generator=generator()).numpy()
    assert draws.dtype == np.int64 and draws.shape == (100_000,)
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / len(draws), p, atol=0.006)
    rows = mg.multinomial(mg.tensor(np.array([[0, 1, 0], [5, 0, 5]], np.float64)), 1000, True,
                          generator=generator()).numpy()
    assert np.all(rows[0] == 1) and set(rows[1]) == {0, 2}


def test_multinomial_without_replacement_draws_one_at_a_time():
    # P(second = j) = sum_i p_i p_j / (1 - p_i): the law of sequential draws
    p = np.array([0.5, 0.3, 0.2])
    second = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(3) if i != j)
                       for j in range(3)])
    g = generator()
    draws = np.stack([mg.multinomial(weights(5, 3, 2), 2, generator=g).numpy()
                      for _ in range(20_000)])
    assert np.all(draws[:, 0] != draws[:, 1])
    np.testing.assert_allclose(np.bincount(draws[:, 0]) / len(draws), p, atol=0.015)
    np.testing.assert_allclose(np.bincount(draws[:, 1]) / len(draws), second, atol=0.015)
    full = mg.multinomial(mg.ones(6, 5), 5, generator=g).numpy()
    assert all(sorted(row) == [0, 1, 2, 3, 4] for row in full)


def test_multinomial_zero_weights_fill_in_last_as_in_pytorch():
    for _ in range(20):
        drawn = mg.multinomial(weights(0, 1, 0), 2).numpy()
        assert drawn[0] == 1 and drawn[1] in (0, 2)


@pytest.mark.parity
@pytest.mark.parametrize("args", [
    (np.float32([0.1, 0.2, 0.7]), 4, False),
    (np.float32([0.1, 0.2, 0.7]), 0, False),
    (np.float32([0.1, 0.2, 0.7]), -1, True),
    (np.array(0.5, np.float32), 1, False),
    (np.ones((2, 2, 2), np.float32), 1, False),
    (np.float32([0.5, -0.1]), 1, False),
    (np.float32([0.5, np.nan]), 1, False),
    (np.float32([0.5, np.inf]), 1, True),
    (np.float32([0.0, 0.0]), 1, True),
    (np.float32([[1, 1], [0, 0]]), 1, True),
    (np.int64([1, 2]), 1, True),
    (np.ones((2, 0), np.float32), 1, False),
])
def test_multinomial_refuses_what_pytorch_refuses(args):
    torch = pytest.importorskip("torch")
    weights_array, num_samples, replacement = args
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.from_numpy(weights_array), num_samples, replacement)
    with pytest.raises((ValueError, TypeError), match="multinomial"):
        mg.multinomial(mg.tensor(weights_array), num_samples, replacement)
    with pytest.raises(TypeError, match="num_samples must be an int"):
        mg.multinomial(weights(3, 1), 2.0)


# ---------------------------------------------------------------- deterministic values
@pytest.mark.parity
@pytest.mark.parametrize("start,end,steps,dtype", [
    (0, 1, 5, None), (0, 1, 1, None), (0, 1, 0, None), (-1, 1, 7, "float64"),
    (0, 10, 5, "int64"), (3.5, -2.25, 11, None), (0, 1, 1000, None), (-7, 9, 33, "int32"),
    (-3.3, 7.1, 101, "float64"), (0.1, 0.7, 37, "float64"), (0.1, 0.7, 37, None),
])
def test_linspace_matches_pytorch(start, end, steps, dtype):
    torch = pytest.importorskip("torch")
    theirs = torch.linspace(start, end, steps,
                            dtype=None if dtype is None else getattr(torch, dtype)).numpy()
    ours = mg.linspace(start, end, steps, dtype=dtype).numpy()
    assert ours.dtype == theirs.dtype
    if ours.dtype.kind == "f":  # PyTorch rounds in the dtype itself: a few ulps apart
        ulp = np.finfo(ours.dtype).eps * max(abs(start), abs(end))
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=4 * ulp)
        if steps > 1:  # both ends exactly, whatever the rounding in between
            assert ours[0] == ours.dtype.type(start) and ours[-1] == ours.dtype.type(end)
    else:
        np.testing.assert_array_equal(ours, theirs)


HISTC_INPUTS = [
    np.float32([1, 2, 1, 4, 2.5, 0]), np.float32([2, 2]), np.float32([]),
    np.float32([0, 1, 3, 3, np.nan]), np.random.default_rng(0).normal(size=1000),
    np.random.default_rng(1).normal(size=(20, 30)).astype(np.float32),
    np.float32(np.arange(12) / 4),
]


@pytest.mark.parity
@pytest.mark.parametrize("values", HISTC_INPUTS, ids=range(len(HISTC_INPUTS)))
@pytest.mark.parametrize("bins,low,high", [(100, 0, 0), (4, 0, 3), (7, -1, 1), (3, 0.5, 0.5)])
def test_histc_matches_pytorch(values, bins, low, high):
    torch = pytest.importorskip("torch")
    if np.isnan(values).any() and low == high:  # the data's range is not finite
        with pytest.raises(RuntimeError, match="not finite"):
            torch.histc(torch.from_numpy(values), bins=bins, min=low, max=high)
        with pytest.raises(ValueError, match="not finite"):
            mg.histc(mg.tensor(values), bins=bins, min=low, max=high)
        return
    theirs = torch.histc(torch.from_numpy(values), bins=bins, min=low, max=high).numpy()
    ours = mg.histc(mg.tensor(values), bins=bins, min=low, max=high).numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parity
@pytest.mark.parametrize("values", HISTC_INPUTS[:2] + HISTC_INPUTS[4:], ids=range(5))
@pytest.mark.parametrize("options", [
    {"bins": 3}, {"bins": 10, "range": (0.0, 3.0)}, {"bins": 5, "density": True},
    {"bins": np.float32([-1, 0, 0.5, 2.5, 5])}, {"bins": 4, "weight": True},
    {"bins": np.float32([0, 1, 2, 3]), "weight": True, "density": True},
])
def test_histogram_matches_pytorch(values, options):
    torch = pytest.importorskip("torch")
    options = dict(options)
    weight = np.linspace(0, 2, values.size).reshape(values.shape).astype(values.dtype) \
        if options.pop("weight", False) else None
    bins = options.pop("bins")
    theirs = torch.histogram(
        torch.from_numpy(values),
        torch.from_numpy(bins.astype(values.dtype)) if isinstance(bins, np.ndarray) else bins,
        weight=None if weight is None else torch.from_numpy(weight), **options)
    ours = mg.histogram(mg.tensor(values), bins, weight=weight, **options)
    assert isinstance(ours, mg.HistogramResult) and ours.hist is ours[0]
    assert ours.hist.dtype == theirs.hist.numpy().dtype
    np.testing.assert_allclose(ours.bin_edges.numpy(), theirs.bin_edges.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.hist.numpy(), theirs.hist.numpy(), rtol=1e-5)


@pytest.mark.parity
def test_histogram_takes_a_hundred_bins_by_default_as_pytorch():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).standard_normal(500).astype(np.float32)
    theirs = torch.histogram(torch.from_numpy(values), density=True)
    ours = mg.histogram(mg.tensor(values), density=True)
    assert ours.hist.shape == tuple(theirs.hist.shape) == (100,)
    np.testing.assert_allclose(ours.hist.numpy(), theirs.hist.numpy(), rtol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize("call", [
    lambda lib, make: lib.histc(make(np.float32([1, 2])), bins=4, min=3, max=1),
    lambda lib, make: lib.histc(make(np.float32([1, 2])), bins=0),
    lambda lib, make: lib.histc(make(np.int64([1, 2])), bins=2),
    lambda lib, make: lib.histogram(make(np.float32([1, 2])), bins=3, range=(3.0, 0.0)),
    lambda lib, make: lib.histogram(make(np.float32([1, 2])), bins=0),
    lambda lib, make: lib.histogram(make(np.float32([1, 2])), bins=3, weight=lib.ones(5)),
])
def test_histogram_errors_match_pytorch(call):
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, NotImplementedError)):
        call(torch, torch.from_numpy)
    with pytest.raises((ValueError, TypeError), match="hist"):
        call(mg, mg.tensor)


def test_histc_counts_against_a_loop():
    values = np.random.default_rng(3).uniform(-2, 5, size=500).astype(np.float64)
    counts = mg.histc(mg.tensor(values), bins=7, min=-1, max=4).numpy()
    expected = np.zeros(7)
    for v in values:  # bin i is [-1 + i*5/7, -1 + (i+1)*5/7), the last closed
        if -1 <= v <= 4:
            expected[min(int((v + 1) / (5 / 7)), 6)] += 1
    np.testing.assert_array_equal(counts, expected)


def test_shape_errors_name_the_op():
    with pytest.raises(ShapeError, match=r"normal: mean of shape \(2,\) and std of shape \(3,\)"):
        mg.normal(mg.zeros(2), mg.ones(3))
    with pytest.raises(ShapeError, match=r"multinomial: input must be 1-D or 2-D"):
        mg.multinomial(mg.ones(2, 2, 2), 1)


def test_the_new_names_are_exported():
    for name in ("Generator", "seed", "initial_seed", "empty", "empty_like", "full_like",
                 "linspace", "randn_like", "rand_like", "randint", "randperm", "normal",
                 "multinomial", "histc", "histogram", "HistogramResult"):
        assert name in mg.__all__ and hasattr(mg, name), name


def test_a_refused_call_draws_nothing():
    g = generator()
    before = g.get_state().numpy().copy()
    for call in (lambda: mg.randn(2, generator=g, device="cuda"),
                 lambda: mg.rand(2, generator=g, dtype=mg.int64),
                 lambda: mg.randint(0, 300, (3,), generator=g, dtype=mg.uint8),
                 lambda: mg.randperm(3, generator=g, device="cuda"),
                 lambda: mg.normal(0.0, -1.0, (2,), generator=g),
                 lambda: mg.multinomial(weights(1, -1), 1, generator=g)):
        with pytest.raises((ValueError, TypeError, DeviceError)):
            call()
    np.testing.assert_array_equal(g.get_state().numpy(), before)

import collections
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.data as minigrad_data
from minigrad.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
    default_collate,
)
from minigrad.data import loader as loader_module
from minigrad.errors import ShapeError


class Squares(Dataset):
    """A map-style dataset without batch fetching: exercises the per-sample path."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i


def indices_of(batches):
    return [b[0].numpy().tolist() for b in batches]


@pytest.mark.parametrize("drop_last,expected", [(False, [3, 3, 1]), (True, [3, 3])])
def test_batches_cover_dataset_in_order(drop_last, expected):
    loader = DataLoader(Squares(), batch_size=3, drop_last=drop_last)
    batches = list(loader)
    assert [len(b[1]) for b in batches] == expected
    assert len(loader) == len(expected)
    x, y = batches[0]
    assert isinstance(x, mg.Tensor) and x.shape == (3, 2)
    np.testing.assert_array_equal(x.numpy()[:, 1], [0, 1, 4])


@pytest.mark.parity
@pytest.mark.parametrize("n", [0, 1, 7, 10])
@pytest.mark.parametrize("batch_size", [1, 3, 10, 11])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batches_and_their_number_match_pytorch(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils import data as torch_data

    theirs = torch_data.DataLoader(torch_data.TensorDataset(torch.arange(n)),
                                   batch_size=batch_size, drop_last=drop_last)
    ours = DataLoader(TensorDataset(np.arange(n)), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert indices_of(ours) == [b[0].tolist() for b in theirs]


@pytest.mark.parity
def test_batch_sampler_and_sampler_arguments_match_pytorch():
    torch = pytest.importorskip("torch")
    from torch.utils import data as torch_data

    def both(**kwargs):
        def build(lib, values):
            made = {k: v(lib) for k, v in kwargs.items()}
            return lib.DataLoader(lib.TensorDataset(values), **made)
        return build(torch_data, torch.arange(10)), build(minigrad_data, np.arange(10))

    theirs, ours = both(batch_sampler=lambda lib: lib.BatchSampler(
        lib.SequentialSampler(range(10)), 3, False))
    assert indices_of(ours) == [b[0].tolist() for b in theirs] and len(ours) == len(theirs)
    assert ours.batch_size is None and theirs.batch_size is None
    theirs, ours = both(sampler=lambda lib: lib.SubsetRandomSampler([9, 2, 4]),
                        batch_size=lambda lib: 2)
    assert len(ours) == len(theirs) == 2 and sorted(sum(indices_of(ours), [])) == [2, 4, 9]


@pytest.mark.parity
def test_batch_size_none_yields_single_samples_like_pytorch():
    torch = pytest.importorskip("torch")
    from torch.utils import data as torch_data

    theirs = list(torch_data.DataLoader(torch_data.TensorDataset(torch.arange(3)),
                                        batch_size=None))
    ours = list(DataLoader(TensorDataset(np.arange(3)), batch_size=None))
    assert len(ours) == len(theirs) == 3
    assert [o[0].item() for o in ours] == [t[0].item() for t in theirs]
    assert ours[0][0].shape == tuple(theirs[0][0].shape) == ()


@pytest.mark.parity
@pytest.mark.parametrize("kwargs", [
    {"sampler": "sequential", "shuffle": True},
    {"batch_sampler": "batches", "batch_size": 2},
    {"batch_sampler": "batches", "shuffle": True},
    {"batch_sampler": "batches", "sampler": "sequential"},
    {"batch_sampler": "batches", "drop_last": True},
    {"batch_size": None, "drop_last": True},
    {"num_workers": -1},
    {"timeout": -1},
    {"prefetch_factor": 2},
    {"persistent_workers": True},
    {"batch_size": 0},
    {"batch_size": -1},
    {"batch_size": 2.7},
    {"batch_size": "2"},
    {"batch_size": True},
    {"drop_last": "no"},
])
def test_bad_arguments_are_refused_as_pytorch_refuses_them(kwargs):
    torch = pytest.importorskip("torch")
    from torch.utils import data as torch_data

    def build(lib, dataset):
        samplers = {"sequential": lib.SequentialSampler(dataset),
                    "batches": lib.BatchSampler(lib.SequentialSampler(dataset), 3, False)}
        arguments = {name: samplers[value] if name in ("sampler", "batch_sampler") else value
                     for name, value in kwargs.items()}
        return lib.DataLoader(dataset, **arguments)

    with pytest.raises(ValueError):
        build(torch_data, torch_data.TensorDataset(torch.arange(10)))
    with pytest.raises((ValueError, TypeError), match="DataLoader|BatchSampler") as error:
        build(minigrad_data, TensorDataset(np.arange(10)))
    assert any(name in str(error.value) for name in kwargs)


def test_batch_size_errors_name_the_argument_and_the_kind_of_mistake():
    data = TensorDataset(np.arange(3))
    for bad in (2.7, "2", True):
        with pytest.raises(TypeError, match="DataLoader: batch_size must be a positive integer"):
            DataLoader(data, batch_size=bad)
    for bad in (0, -1):
        with pytest.raises(ValueError, match=f"DataLoader: batch_size must be a positive "
                                             f"integer, got {bad}"):
            DataLoader(data, batch_size=bad)


def test_workers_are_accepted_run_in_process_and_said_once(monkeypatch):
    monkeypatch.setattr(loader_module, "_told_about_workers", False)
    data = TensorDataset(np.arange(10))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaders = [DataLoader(data, batch_size=4, num_workers=2, pin_memory=True,
                              persistent_workers=True, prefetch_factor=4, timeout=5,
                              worker_init_fn=lambda worker_id: None) for _ in range(3)]
    told = [w for w in caught if "main process" in str(w.message)]
    assert len(told) == 1 and "num_workers=2" in str(told[0].message)
    assert indices_of(loaders[0]) == indices_of(DataLoader(data, batch_size=4))


def test_shuffle_is_a_permutation_that_follows_the_seed():
    ds = TensorDataset(np.arange(50))
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    mg.manual_seed(11)
    first = np.concatenate(indices_of(loader))
    second = np.concatenate(indices_of(loader))
    assert sorted(first) == list(range(50)) and not np.array_equal(first, np.arange(50))
    assert not np.array_equal(first, second)  # a new order every epoch
    mg.manual_seed(11)
    expected = np.random.default_rng(11).permutation(50)  # same generator, same draw
    np.testing.assert_array_equal(np.concatenate(indices_of(loader)), expected)


def test_shuffle_with_a_generator_leaves_the_global_one_alone():
    ds = TensorDataset(np.arange(30))
    for make in (lambda: mg.Generator().manual_seed(5), lambda: np.random.default_rng(5)):
        mg.manual_seed(0)
        order = np.concatenate(indices_of(DataLoader(ds, batch_size=7, shuffle=True,
                                                     generator=make())))
        np.testing.assert_array_equal(order, np.random.default_rng(5).permutation(30))
        np.testing.assert_array_equal(mg.default_generator().random(2),
                                      np.random.default_rng(0).random(2))


def test_samplers_drive_the_loader():
    ds = TensorDataset(np.arange(6) * 10)
    loader = DataLoader(ds, sampler=RandomSampler(ds, replacement=True, num_samples=9),
                        batch_size=4)
    assert [len(b) for b in indices_of(loader)] == [4, 4, 1] and len(loader) == 3
    batches = BatchSampler(SequentialSampler(range(6)), 4, drop_last=True)
    assert indices_of(DataLoader(ds, batch_sampler=batches)) == [[0, 10, 20, 30]]


def test_tensor_dataset_batches_are_fetched_by_fancy_indexing():
    class Counting(TensorDataset):
        calls = 0

        def __getitem__(self, index):
            Counting.calls += 1
            return super().__getitem__(index)

    list(DataLoader(Counting(np.zeros((100, 3)), np.arange(100)), batch_size=10, shuffle=True))
    assert Counting.calls == 0
    list(DataLoader(Counting(np.zeros((4, 3))), batch_size=2, collate_fn=default_collate))
    assert Counting.calls == 4  # a collate_fn gets the samples, one call each


def test_transform_sees_numpy_batches_and_can_change_targets():
    ds = TensorDataset(np.ones((4, 1, 2, 2), np.float32), np.arange(4))

    def double_and_onehot(x, y):
        assert isinstance(x, np.ndarray)
        return 2 * x, np.eye(4, dtype=np.float32)[y]

    (x, y), = list(DataLoader(ds, batch_size=4, transform=double_and_onehot))
    assert float(x.numpy().sum()) == 32.0 and y.shape == (4, 4)


def test_a_collate_fn_result_becomes_tensors():
    def pairs_as_dict(samples):
        return {"x": np.stack([s[0] for s in samples]), "n": len(samples)}

    batch = next(iter(DataLoader(Squares(), batch_size=3, collate_fn=pairs_as_dict)))
    assert isinstance(batch["x"], mg.Tensor) and batch["n"] == 3


# ---------------------------------------------------------------- default_collate
Point = collections.namedtuple("Point", "a b")
COLLATE_CASES = {
    "ints": [1, 2, 3],
    "floats": [1.0, 2.5],
    "bools": [True, False],
    "int then float": [1, 2.0],
    "numpy float32 scalars": [np.float32(1), np.float32(2)],
    "numpy int32 scalars": [np.int32(1), np.int32(2)],
    "numpy uint8 scalars": [np.uint8(1), np.uint8(2)],
    "int32 arrays": [np.int32([1, 2]), np.int32([3, 4])],
    "float64 arrays": [np.ones((2, 2)), np.zeros((2, 2))],
    "float16 arrays": [np.float16([1, 2])] * 2,
    "0-d arrays": [np.array(1.5), np.array(2.5)],
    "tuples": [(1, 2.0), (3, 4.0)],
    "lists": [[1, 2.0], [3, 4.0]],
    "nested": [((1, 2), 3), ((4, 5), 6)],
    "dicts": [{"x": 1, "y": np.ones(2)}, {"x": 2, "y": np.zeros(2)}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "strings": [("a", 1), ("b", 2)],
}


def as_plain(batch, torch):
    """A collated batch as nested Python types of (dtype name, values)."""
    if isinstance(batch, (mg.Tensor, torch.Tensor)):
        array = batch.numpy()
        return ("tensor", array.dtype.name, array.tolist())
    if isinstance(batch, dict):
        return {k: as_plain(v, torch) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return (type(batch).__name__, [as_plain(v, torch) for v in batch])
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [as_plain(v, torch) for v in batch])
    return batch


@pytest.mark.parity
@pytest.mark.parametrize("name", COLLATE_CASES)
def test_default_collate_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    samples = COLLATE_CASES[name]
    assert as_plain(default_collate(samples), torch) == as_plain(torch_collate(samples), torch)


@pytest.mark.parity
def test_default_collate_stacks_tensors_and_the_loader_keeps_dtypes():
    pytest.importorskip("torch")
    from torch.utils import data as torch_data

    batch = default_collate([mg.tensor(np.float64([1, 2])), mg.tensor(np.float64([3, 4]))])
    assert batch.shape == (2, 2) and batch.dtype == np.float64
    x, y = next(iter(DataLoader(Squares(), batch_size=2)))
    tx, ty = next(iter(torch_data.DataLoader(Squares(), batch_size=2)))
    assert (x.dtype, y.dtype) == (tx.numpy().dtype, ty.numpy().dtype) == (np.float32, np.int64)
    lists = next(iter(DataLoader([1, 2, 3], batch_size=2)))
    assert lists.numpy().tolist() == next(iter(torch_data.DataLoader([1, 2, 3], batch_size=2))
                                           ).tolist()


@pytest.mark.parity
@pytest.mark.parametrize("samples", [
    [None, None], [object(), object()], [np.array(["a", "b"]), np.array(["c", "d"])],
    [(1, 2), (3,)], [np.ones(2), np.ones(3)],
])
def test_default_collate_refuses_what_pytorch_refuses(samples):
    pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    with pytest.raises((TypeError, RuntimeError)):
        torch_collate(samples)
    with pytest.raises((TypeError, ShapeError), match="default_collate"):
        default_collate(samples)
    with pytest.raises(ValueError, match="empty"):
        default_collate([])

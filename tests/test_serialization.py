"""mg.save / mg.load: round trips of what course code saves, the file layout read back
with NumPy and json alone, and every way a file can be refused."""

import collections
import io
import json
import math
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn
from minigrad.errors import CheckpointError, DeviceError
from minigrad.optim import SGD
from minigrad.serialization import load, save
from minigrad.train.checkpoint import save_checkpoint


def _trained_model_and_optimizer():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(mg.randn(5, 3)).sum().backward()
    optimizer.step()
    return model, optimizer


def _same(a, b):
    """Deep equality that also checks types, dtypes and shapes."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, mg.Tensor):
        assert a.requires_grad == b.requires_grad
        _same(a.numpy(), b.numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert type(key) is type(next(k for k in b if k == key))
            _same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def test_state_dicts_round_trip_and_load_back_into_a_fresh_model(tmp_path):
    model, optimizer = _trained_model_and_optimizer()
    path = tmp_path / "model.pt"
    save({"epoch": 3, "model": model.state_dict(), "optim": optimizer.state_dict()}, path)
    assert os.path.exists(path)  # the name is kept: no ".npz" appended
    loaded = load(path)
    _same(loaded["model"], model.state_dict())
    _same(loaded["optim"], optimizer.state_dict())  # int keys, lists, None, bools
    assert isinstance(loaded["model"], collections.OrderedDict)
    fresh, _ = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), None
    fresh.load_state_dict(loaded["model"])
    x = mg.randn(2, 3)
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


def test_tensors_keep_dtype_requires_grad_and_parameter_and_a_shared_one_stays_shared():
    weight = nn.Parameter(np.arange(6, dtype=np.float64).reshape(2, 3))
    frozen = mg.tensor([1, 2, 3])  # int64
    flags = mg.tensor([True, False])
    buffer = io.BytesIO()
    save({"w": weight, "again": weight, "frozen": frozen, "flags": flags,
          "scalar": mg.tensor(2.5, requires_grad=True)}, buffer)
    buffer.seek(0)
    loaded = load(buffer)
    assert isinstance(loaded["w"], nn.Parameter) and loaded["w"].requires_grad
    assert loaded["w"] is loaded["again"]
    assert loaded["frozen"].dtype == mg.int64 and not loaded["frozen"].requires_grad
    assert loaded["flags"].dtype == mg.bool
    assert loaded["scalar"].shape == () and loaded["scalar"].requires_grad
    np.testing.assert_array_equal(loaded["w"].numpy(), weight.numpy())
    loaded["w"].sum().backward()  # a leaf that learns, like the one saved
    assert loaded["w"].grad is not None


def test_scalars_and_containers_keep_their_types():
    obj = [None, True, 7, -2**70, 1.5, float("nan"), float("inf"), -float("inf"), "text",
           (1, (2, 3)), {1: "int key", 2.5: "float key", None: "none key", "s": []},
           np.float32(0.25), np.int64(9), np.zeros((0, 3), np.float32)]
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    _same(load(buffer), obj)


_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=5),
    st.builds(lambda shape, kind: np.arange(math.prod(shape)).reshape(shape).astype(kind),
              st.lists(st.integers(0, 3), max_size=3), st.sampled_from(["f4", "f8", "i8",
                                                                         "u1", "?"])))
_trees = st.recursive(_leaves, lambda children: st.one_of(
    st.lists(children, max_size=3), st.tuples(children, children),
    st.dictionaries(st.one_of(st.text(max_size=3), st.integers()), children, max_size=3)),
    max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(_trees)
def test_any_tree_of_savable_values_round_trips(tree):
    buffer = io.BytesIO()
    save(tree, buffer)
    buffer.seek(0)
    _same(load(buffer), tree)


def test_the_file_is_plain_npz_and_json_readable_without_minigrad(tmp_path):
    path = tmp_path / "x.pt"
    save({"w": mg.tensor([[1.0, 2.0]]), "n": 4}, path)
    with np.load(path, allow_pickle=False) as archive:
        assert str(archive["format"][()]) == "minigrad-save-1"
        structure = json.loads(str(archive["structure"][()]))
        np.testing.assert_array_equal(archive["array_0"], [[1.0, 2.0]])
    assert structure["dict"][1] == ["n", 4]
    assert structure["dict"][0][1]["tensor"] is True


def test_saving_something_unsavable_names_where_and_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "model.pt"
    save({"a": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"obj\['a'\]\[1\], of type object"):
        save({"a": [1, object()]}, path)
    with pytest.raises(TypeError, match="dtype object"):
        save(np.array([None]), path)
    with pytest.raises(TypeError, match="dict key must be"):
        save({(1, 2): 3}, path)
    cycle = []
    cycle.append(cycle)
    with pytest.raises(TypeError, match="contains itself"):
        save(cycle, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]  # no partial file left behind


def _rewrite(path, **changes):
    """The file at path with entries replaced (value None: removed)."""
    with np.load(path, allow_pickle=False) as archive:
        entries = {key: archive[key] for key in archive.files}
    for key, value in changes.items():
        if value is None:
            entries.pop(key)
        else:
            entries[key] = value
    with open(path, "wb") as handle:
        np.savez(handle, **entries)


@pytest.mark.parametrize("damage, message", [
    ({"format": None}, "no text entry 'format'"),
    ({"format": np.array("minigrad-save-9")}, "in format 'minigrad-save-9'"),
    ({"structure": np.array("{not json")}, "not JSON"),
    ({"structure": np.array('{"array": 5}')}, "refers to array 5"),
    ({"structure": np.array('{"set": [1]}')}, "never writes"),
    ({"structure": np.array('{"float": "1e400"}')}, "not a float"),
    ({"array_1": np.zeros(2)}, "nothing refers to"),
    ({"array_0": np.array(["text"])}, "dtype <U4"),
])
def test_a_damaged_file_is_refused_with_what_is_wrong(tmp_path, damage, message):
    path = tmp_path / "x.pt"
    save([mg.tensor([1.0])], path)
    _rewrite(path, **damage)
    with pytest.raises(CheckpointError, match=message):
        load(path)


def test_truncated_foreign_and_checkpoint_files_are_refused(tmp_path):
    path = tmp_path / "x.pt"
    save({"w": mg.zeros(100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        load(path)
    path.write_bytes(b"\x80\x02 a pickle, say")
    with pytest.raises(CheckpointError, match="not written by mg.save"):
        load(path)
    model, _ = _trained_model_and_optimizer()
    save_checkpoint(tmp_path / "run.npz", model)
    with pytest.raises(CheckpointError, match="load_checkpoint"):
        load(tmp_path / "run.npz")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.pt")


def test_a_member_declaring_more_data_than_it_holds_is_refused_before_allocating(tmp_path):
    path = tmp_path / "x.pt"
    save([np.zeros(4)], path)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**12,)})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("array_1.npy", header.getvalue())
    with pytest.raises(CheckpointError, match="declares shape"):
        load(path)


def test_map_location_and_weights_only_as_pytorch_code_passes_them(tmp_path):
    path = tmp_path / "x.pt"
    save(mg.ones(2), path)
    assert load(path, map_location="cpu", weights_only=True).shape == (2,)
    assert load(path, map_location=mg.device("cpu"), weights_only=False).shape == (2,)
    with pytest.raises(DeviceError, match="map_location='cuda:0'"):
        load(path, map_location="cuda:0")


def test_a_file_torch_save_wrote_is_refused_and_its_converted_state_dict_loads(tmp_path):
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(3, 2)
    torch.save(layer.state_dict(), tmp_path / "torch.pt")
    with pytest.raises(CheckpointError, match="not written by mg.save"):
        load(tmp_path / "torch.pt")
    converted = {k: v.numpy() for k, v in torch.load(tmp_path / "torch.pt").items()}
    save(converted, tmp_path / "mine.pt")
    ours = nn.Linear(3, 2)
    ours.load_state_dict(load(tmp_path / "mine.pt"))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(),
                               layer(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)

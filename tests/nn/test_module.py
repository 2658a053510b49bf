"""Module system: registration by assignment, dotted names, state_dict round trip and
its errors, train/eval, hooks, freezing, apply, zero_grad, dtype, deepcopy, repr."""

import copy
import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.errors import ShapeError


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(np.ones(4, dtype=np.float32))
        self.register_buffer("calls", np.zeros((), dtype=np.int64))
        self.note = "plain attribute"

    def forward(self, x):
        self.calls.data[...] += 1
        return self.norm(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(4, 2, bias=False)

    def forward(self, x):
        return self.head(self.block(x).relu())


def test_parameter_is_a_leaf_tensor_requiring_grad():
    p = nn.Parameter(mg.tensor([1.0, 2.0]))
    assert isinstance(p, mg.Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == np.float32
    q = nn.Parameter(np.zeros(3))
    assert q.dtype == np.float64
    assert "Parameter containing" in repr(p)


def test_named_parameters_buffers_and_modules_use_dotted_names():
    net = Net()
    assert [name for name, _ in net.named_parameters()] == [
        "block.scale", "block.fc.weight", "block.fc.bias", "block.norm.weight",
        "block.norm.bias", "head.weight"]
    assert [name for name, _ in net.named_buffers()] == [
        "block.calls", "block.norm.running_mean", "block.norm.running_var",
        "block.norm.num_batches_tracked"]
    assert [name for name, _ in net.named_modules()] == ["", "block", "block.fc",
                                                          "block.norm", "head"]
    assert [type(c).__name__ for c in net.children()] == ["Block", "Linear"]
    assert net.block.note == "plain attribute"
    assert sum(p.numel() for p in net.parameters()) == 4 + 16 + 8 + 8


def test_reassigning_a_name_moves_it_between_registries():
    block = Block()
    block.scale = None  # "this block has no scale": registered as None, listed nowhere
    assert "scale" in block._parameters and block.scale is None
    assert "scale" not in dict(block.named_parameters(recurse=False))
    assert "scale" not in block.state_dict()
    block.scale = nn.Parameter(np.ones(4))
    with pytest.raises(TypeError, match=r"Block: cannot assign a Tensor to parameter 'scale' "
                                        r"\(an nn.Parameter or None is expected\)"):
        block.scale = block.scale * 2
    block.fc = nn.Identity()
    assert [n for n, _ in block.named_parameters()] == ["scale", "norm.weight", "norm.bias"]
    del block.fc
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'fc'"):
        _ = block.fc


def test_shared_parameter_is_listed_once():
    first = nn.Linear(2, 2)
    second = nn.Linear(2, 2)
    second.weight = first.weight
    model = nn.Sequential(first, second)
    assert len(list(model.parameters())) == 3


def test_state_dict_is_plain_array_copies_and_round_trips():
    mg.manual_seed(0)
    source, target = Net(), Net()
    x = mg.randn(5, 3)
    source(x)  # updates running stats and the call counter
    state = source.state_dict()
    assert all(type(v) is np.ndarray for v in state.values())
    state["head.weight"][...] = 7.0  # a copy: the model is untouched
    assert not np.any(source.head.weight.numpy() == 7.0)
    state = source.state_dict()
    missing, unexpected = target.load_state_dict(state)
    assert missing == [] and unexpected == []
    for key, value in target.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
    source.eval()
    target.eval()
    np.testing.assert_array_equal(source(x).numpy(), target(x).numpy())


def test_load_state_dict_keeps_parameter_identity():
    model = nn.Linear(3, 2)
    weight = model.weight
    model.load_state_dict({"weight": np.ones((2, 3)), "bias": np.zeros(2)})
    assert model.weight is weight and weight.dtype == np.float32
    np.testing.assert_array_equal(weight.numpy(), np.ones((2, 3)))


def test_load_state_dict_errors_name_keys_and_shapes():
    model = nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match=r"^load_state_dict for Linear: missing keys "
                                           r"\['bias'\], unexpected keys \['extra'\]$"):
        model.load_state_dict({"weight": np.zeros((2, 3)), "extra": np.zeros(1)})
    with pytest.raises(KeyError):
        model.load_state_dict({})
    missing, unexpected = model.load_state_dict({"weight": np.ones((2, 3)), "extra": 0},
                                                strict=False)
    assert missing == ["bias"] and unexpected == ["extra"]
    with pytest.raises(ShapeError, match=r"'weight' has shape \(2, 3\) in the model but "
                                         r"\(3, 2\) in the state dict"):
        model.load_state_dict({"weight": np.zeros((3, 2)), "bias": np.full(2, 5.0)})
    assert not np.any(model.bias.numpy() == 5.0)  # nothing was loaded


def test_train_and_eval_propagate():
    net = Net()
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_forward_hook_sees_inputs_output_and_can_be_removed():
    net = Net()
    seen = []
    handle = net.block.fc.register_forward_hook(
        lambda module, inputs, output: seen.append((module, inputs[0].shape, output.shape)))
    net(mg.randn(5, 3))
    assert seen == [(net.block.fc, (5, 3), (5, 4))]
    handle.remove()
    net(mg.randn(5, 3))
    assert len(seen) == 1


def test_forward_hook_can_replace_output_and_pre_hook_inputs():
    layer = nn.Identity()
    layer.register_forward_pre_hook(lambda module, inputs: (inputs[0] * 2,))
    layer.register_forward_hook(lambda module, inputs, output: output + 1)
    np.testing.assert_array_equal(layer(mg.tensor([1.0, 2.0])).numpy(), [3.0, 5.0])


def test_requires_grad_false_freezes_parameters():
    net = Net()
    net.block.requires_grad_(False)
    net(mg.randn(5, 3)).sum().backward()
    assert all(p.grad is None for p in net.block.parameters())
    assert net.head.weight.grad is not None


def test_zero_grad_and_apply():
    net = Net()
    net(mg.randn(5, 3)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "BatchNorm1d", "Block", "Linear", "Net"]


def test_double_converts_parameters_and_float_buffers_only():
    net = Net().double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.block.norm.running_var.dtype == np.float64
    assert net.block.calls.dtype == np.int64
    assert net(mg.tensor(np.ones((2, 3)))).dtype == np.float64


def test_deepcopy_gives_independent_parameters():
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.head.weight is not net.head.weight
    assert isinstance(clone.head.weight, nn.Parameter)
    clone.head.weight.data[...] = 0
    assert np.any(net.head.weight.numpy() != 0)


def test_repr_prints_tree_shapes_and_counts():
    text = repr(Net())
    lines = text.splitlines()
    assert lines[0] == "Net("
    assert "  (block): Block(  [scale (4,)]  # 28 params" in lines
    assert "    (fc): Linear(in_features=3, out_features=4, bias=True)  [weight (4, 3), " \
           "bias (4,)]  # 16 params" in lines
    assert lines[-1] == "# 36 parameters"


def test_forgetting_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\)"):
        Broken()


def test_full_backward_hook_sees_input_and_output_gradients():
    layer = nn.Linear(3, 2).double()
    x = mg.tensor(rng_values((4, 3)), requires_grad=True)
    seen = []
    handle = layer.register_full_backward_hook(
        lambda module, grad_input, grad_output: seen.append((grad_input, grad_output)))
    upstream = rng_values((4, 2))
    layer(x).backward(upstream)
    (grad_input,), (grad_output,) = seen[0]
    np.testing.assert_allclose(grad_output.numpy(), upstream)
    np.testing.assert_allclose(grad_input.numpy(), upstream @ layer.weight.numpy())
    np.testing.assert_allclose(x.grad.numpy(), upstream @ layer.weight.numpy())
    handle.remove()
    layer(x).backward(upstream)
    assert len(seen) == 1


def test_full_backward_hook_can_replace_the_input_gradient():
    layer = nn.Tanh()
    x = mg.tensor(np.zeros(3), requires_grad=True)
    layer.register_full_backward_hook(lambda module, gi, go: (gi[0] * 10,))
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 10.0))


def test_full_backward_hook_without_differentiable_input():
    layer = nn.Linear(2, 2)
    seen = []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go[0].shape)))
    layer(mg.ones(5, 2)).sum().backward()
    assert seen == [((None,), (5, 2))]


def rng_values(shape):
    return np.random.default_rng(0).standard_normal(shape)


@pytest.mark.parity
def test_loads_a_pytorch_state_dict_and_computes_the_same_function():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    theirs(torch.randn(8, 3, dtype=torch.float64))  # non-trivial running statistics
    theirs.eval()
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    ours.double().load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    x = np.random.default_rng(1).standard_normal((5, 3))
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("bad_value, message", [
    (np.array(["a", "b", "c", "d"]), r"'block.norm.running_var' holds <U1 values; numbers "
                                     r"castable to float32 are expected"),
    ([[1.0], [2.0, 3.0], [], []], r"'block.norm.running_var' is not an array"),
    (np.array([1 + 2j, 0j, 0j, 0j]), r"'block.norm.running_var' holds complex128 values"),
])
def test_load_state_dict_checks_every_entry_before_copying_any(bad_value, message):
    from minigrad.errors import StateDictError

    mg.manual_seed(0)
    source, target = Net(), Net()
    state = source.state_dict()
    assert list(state).index("block.norm.running_var") > list(state).index("block.fc.weight")
    before = {k: v.copy() for k, v in target.state_dict().items()}
    state["block.norm.running_var"] = bad_value  # a later entry than the weights
    with pytest.raises(Exception) as raised:
        target.load_state_dict(state)
    for key, value in target.state_dict().items():  # the old code had copied the weights
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    assert isinstance(raised.value, StateDictError)
    assert re.search(message, str(raised.value))


@pytest.mark.parametrize("count", [1.5, np.nan, 2.0 ** 70])
def test_integer_buffer_refuses_values_it_cannot_hold_exactly(count):
    from minigrad.errors import StateDictError

    block = Block()
    state = block.state_dict()
    state["calls"] = np.array(count)
    with pytest.raises(StateDictError, match=r"'calls' holds values a int64 buffer cannot hold"):
        block.load_state_dict(state)
    assert block.calls.numpy() == 0


def test_integer_buffer_takes_whole_floats():
    block = Block()
    block.load_state_dict(dict(block.state_dict(), calls=np.array(3.0)))
    assert block.calls.numpy() == 3 and block.calls.numpy().dtype == np.int64

"""The Optimizer base: param groups, validation, zero_grad, closures, and
state_dict round trips (through an .npz without pickle) that resume bit for bit."""

import inspect
import io
import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.optim as optim
from minigrad.errors import StateDictError
from minigrad.optim import (
    LARS,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    NAdam,
    RAdam,
    RMSprop,
    TextbookRMSprop,
    TextbookSGD,
    flatten_state_dict,
    unflatten_state_dict,
)


def fresh_params(dtype=np.float64):
    generator = np.random.default_rng(0)
    return [mg.tensor(generator.normal(size=shape).astype(dtype), requires_grad=True)
            for shape in [(3, 2), (2,), ()]]


def loss_of(params):
    """A smooth non-quadratic loss coupling all parameters."""
    w, b, s = params
    return ((mg.tanh(w) * 2 + b) ** 2).sum() + (s - 1.5) ** 2 * (w * w).sum()


def train(optimizer, params, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(params).backward()
        optimizer.step()


OPTIMISERS = {
    "sgd": lambda p: SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adagrad": lambda p: Adagrad(p, lr=0.1, lr_decay=0.01),
    "rmsprop": lambda p: RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "adam": lambda p: Adam(p, lr=0.01, amsgrad=True, weight_decay=1e-3),
    "adamw": lambda p: AdamW(p, lr=0.01),
    "textbook_sgd": lambda p: TextbookSGD(p, lr=0.05, momentum=0.9, l1_weight_decay=1e-3),
    "textbook_rmsprop": lambda p: TextbookRMSprop(p, lr=0.01, momentum=0.5),
    "groups": lambda p: Adam([{"params": p[:1], "lr": 1e-3}, {"params": p[1:]}], lr=0.05),
    "adadelta": lambda p: Adadelta(p, weight_decay=1e-3),
    "adamax": lambda p: Adamax(p, lr=0.01),
    "nadam": lambda p: NAdam(p, lr=0.01, decoupled_weight_decay=True, weight_decay=1e-2),
    "radam": lambda p: RAdam(p, lr=0.01, weight_decay=1e-3),
    "lars": lambda p: LARS(p, lr=0.1, momentum=0.9, weight_decay=1e-4),
}


def npz_round_trip(state_dict):
    buffer = io.BytesIO()
    np.savez(buffer, **flatten_state_dict(state_dict))
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as loaded:
        return unflatten_state_dict(loaded)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_state_dict_through_npz_resumes_bit_for_bit(name, dtype):
    make = OPTIMISERS[name]
    straight = fresh_params(dtype)
    train(make(straight), straight, 12)

    first_half = fresh_params(dtype)
    optimizer = make(first_half)
    train(optimizer, first_half, 5)
    saved_state = npz_round_trip(optimizer.state_dict())
    saved_weights = [p.numpy().copy() for p in first_half]

    resumed = [mg.tensor(w, requires_grad=True) for w in saved_weights]
    optimizer = make(resumed)
    optimizer.load_state_dict(saved_state)
    train(optimizer, resumed, 7)
    for a, b in zip(resumed, straight):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name", sorted(OPTIMISERS))
def test_a_parameter_without_grad_is_skipped(name):
    params = fresh_params()
    optimizer = OPTIMISERS[name](params)
    loss_of(params).backward()
    params[1].grad = None
    before = params[1].numpy().copy()
    optimizer.step()
    np.testing.assert_array_equal(params[1].numpy(), before)
    assert params[1] not in optimizer.state and params[0] in optimizer.state


def test_state_dict_is_a_snapshot_with_index_keys():
    params = fresh_params()
    optimizer = OPTIMISERS["groups"](params)
    train(optimizer, params, 2)
    state = optimizer.state_dict()
    before = state["state"][0]["exp_avg"].copy()
    train(optimizer, params, 2)
    np.testing.assert_array_equal(state["state"][0]["exp_avg"], before)
    assert [g["params"] for g in state["param_groups"]] == [[0], [1, 2]]
    assert [g["lr"] for g in state["param_groups"]] == [1e-3, 0.05]
    assert state["state"][2]["step"] == 2


def test_flatten_gives_only_arrays_and_keeps_scalar_state_shapes():
    params = fresh_params()
    optimizer = Adam(params, lr=0.01)
    train(optimizer, params, 3)
    flat = flatten_state_dict(optimizer.state_dict(), prefix="optimizer/")
    assert all(isinstance(v, np.ndarray) for v in flat.values())
    back = unflatten_state_dict(flat, prefix="optimizer/")
    assert back["state"][2]["exp_avg"].shape == ()  # a 0-d state array stays an array
    assert back["state"][2]["step"] == 3
    assert back["param_groups"][0]["betas"] == [0.9, 0.999]  # JSON: the loader retuples


def test_load_state_dict_checks_the_group_layout():
    params = fresh_params()
    two_groups = Adam([{"params": params[:1]}, {"params": params[1:]}])
    one_group = Adam(fresh_params())
    with pytest.raises(StateDictError, match="the state has 2 param groups but the optimiser "
                                             "has 1"):
        one_group.load_state_dict(two_groups.state_dict())
    other = Adam([{"params": params[:2]}, {"params": params[2:]}])
    with pytest.raises(StateDictError, match="param group 0 has 1 parameters in the state "
                                             "but 2"):
        other.load_state_dict(two_groups.state_dict())


def test_load_state_dict_checks_state_shapes():
    params = fresh_params()
    optimizer = Adam(params)
    train(optimizer, params, 1)
    state = optimizer.state_dict()
    state["state"][1]["exp_avg"] = np.zeros(3)
    with pytest.raises(StateDictError, match=r"state 'exp_avg' of parameter 1 has shape "
                                             r"\(3,\) but the parameter has shape \(2,\)"):
        Adam(fresh_params()).load_state_dict(state)


def test_param_groups_get_their_own_lr():
    backbone, head = (mg.tensor(np.ones(2), requires_grad=True) for _ in range(2))
    optimizer = SGD([{"params": [backbone], "lr": 0.01}, {"params": [head]}], lr=0.1)
    for p in (backbone, head):
        p.grad = mg.tensor(np.ones(2))
    optimizer.step()
    np.testing.assert_allclose(backbone.numpy(), 0.99)
    np.testing.assert_allclose(head.numpy(), 0.9)
    assert optimizer.param_groups[0]["momentum"] == 0.0  # filled from the defaults


def test_add_param_group_appends_and_validates():
    a, b, c = fresh_params()
    optimizer = SGD([a], lr=0.1)
    optimizer.add_param_group({"params": b, "lr": 0.5})
    assert optimizer.param_groups[1]["params"] == [b] and optimizer.param_groups[1]["lr"] == 0.5
    with pytest.raises(ValueError, match="appears in param group 0 and again in param group 2"):
        optimizer.add_param_group({"params": [c, a]})
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optimizer.add_param_group({"params": [c], "lr": -1})


@pytest.mark.parametrize("make, message", [
    (lambda p: SGD(p, lr=-0.1), r"SGD: Invalid learning rate: -0.1; expected lr >= 0"),
    (lambda p: Adam(p, lr=float("nan")), "Adam: Invalid learning rate: nan"),
    (lambda p: SGD([], lr=0.1), "SGD: got an empty parameter list"),
    (lambda p: Adam([{"params": []}]), "param group 0 has an empty parameter list"),
    (lambda p: SGD([p[0], p[1], p[0]], lr=0.1), r"item 2, shape \(3, 2\)\) appears twice"),
    (lambda p: Adam([{"params": [p[0]]}, {"params": [p[1], p[0]]}]),
     "appears in param group 0 and again in param group 1"),
    (lambda p: Adam(p, eps=-1e-8), "Adam: Invalid epsilon value: -1e-08"),
    (lambda p: AdamW(p, weight_decay=-0.01), "AdamW: Invalid weight_decay value: -0.01"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.9), "Invalid momentum value: -0.9"),
    (lambda p: SGD(p, lr="fast"), "lr must be a number, got 'fast'"),
    (lambda p: SGD([p[0] * 2], lr=0.1), "can't optimise a non-leaf Tensor"),
])
def test_bad_arguments_raise_value_errors_naming_the_value(make, message):
    with pytest.raises(ValueError, match=message):
        make(fresh_params())


def test_type_errors():
    with pytest.raises(TypeError, match="got a single Tensor"):
        SGD(fresh_params()[0], lr=0.1)
    with pytest.raises(TypeError, match="item 1 of param group 0 is ndarray"):
        SGD([fresh_params()[0], np.ones(3)], lr=0.1)


def test_zero_grad_to_none_or_to_zeros():
    params = fresh_params()
    optimizer = SGD(params, lr=0.1)
    loss_of(params).backward()
    optimizer.zero_grad(set_to_none=False)
    assert all(np.array_equal(p.grad.numpy(), np.zeros(p.shape)) for p in params)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_with_closure_returns_its_loss_and_uses_fresh_grads():
    params = fresh_params()
    optimizer = SGD(params, lr=0.01)
    reference = [p.numpy().copy() for p in params]
    ref_params = [mg.tensor(r, requires_grad=True) for r in reference]
    loss_of(ref_params).backward()
    expected = [r - 0.01 * q.grad.numpy() for r, q in zip(reference, ref_params)]

    def closure():
        optimizer.zero_grad()
        loss = loss_of(params)
        loss.backward()
        return loss

    with mg.no_grad():  # the closure still records its graph (step re-enables grad)
        loss = optimizer.step(closure)
    assert float(loss) == pytest.approx(float(loss_of(ref_params)))
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.numpy(), e, rtol=1e-12)


def test_repr_lists_groups():
    text = repr(SGD([{"params": fresh_params()[:1], "lr": 0.5}], lr=0.1))
    assert "SGD" in text and "group 0: 1 params" in text and "lr=0.5" in text


def test_trains_an_nn_model_in_float32_with_clipping_and_a_schedule():
    nn = pytest.importorskip("minigrad.nn")
    functional = pytest.importorskip("minigrad.nn.functional")
    from minigrad.nn.utils import clip_grad_norm_
    from minigrad.optim import lr_scheduler

    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
    generator = np.random.default_rng(0)
    x = generator.normal(size=(64, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]])).astype(np.float32)
    optimizer = AdamW(model.parameters(), lr=0.02)
    schedule = lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, total_steps=150)
    losses = []
    for _ in range(150):
        optimizer.zero_grad()
        loss = functional.mse_loss(model(mg.tensor(x)), mg.tensor(y))
        loss.backward()
        clip_grad_norm_(model.parameters(), max_norm=5.0)
        optimizer.step()
        schedule.step()
        losses.append(float(loss))
    assert losses[-1] < 0.05 * losses[0]
    for p in model.parameters():
        assert p.dtype == np.float32
        assert optimizer.state[p]["exp_avg"].dtype == np.float32


# ------------------------------------------------------------------ every optimiser
ALL_OPTIMISERS = {
    **OPTIMISERS,
    "sgd_plain": lambda p: SGD(p, lr=0.05),
    "textbook_nesterov": lambda p: TextbookSGD(p, lr=0.05, momentum=0.9, nesterov=True),
}


def step_with(optimizer, params, grads):
    """Set .grad (a closure does it for the look-ahead optimisers) and step."""
    def closure():
        for p, g in zip(params, grads):
            p.grad = None if g is None else mg.tensor(g)
        return 0.0
    closure()
    needs_closure = any(group.get("nesterov") for group in optimizer.param_groups) and \
        isinstance(optimizer, TextbookSGD)
    optimizer.step(closure if needs_closure else None)


def good_grads(params, scale=0.1):
    return [np.full(p.shape, scale, dtype=p.dtype) for p in params]


@pytest.mark.parametrize("name", sorted(ALL_OPTIMISERS))
@pytest.mark.parametrize("bad_shape", [(2,), (1, 1), (1, 2, 2)])
def test_a_wrong_shaped_grad_raises_and_moves_nothing(name, bad_shape):
    """Shape (2,) or (1, 1) broadcasts over the (3, 2) parameter: NumPy would apply it
    silently (also in SGD's one-pass momentum kernel, after a first good step)."""
    params = fresh_params()
    optimizer = ALL_OPTIMISERS[name](params)
    step_with(optimizer, params, good_grads(params))  # state and momentum buffers exist now
    before = [p.numpy().copy() for p in params]
    grads = good_grads(params)
    grads[0] = np.full(bad_shape, 0.1)
    with pytest.raises(mg.ShapeError, match=rf"{type(optimizer).__name__}\.step: parameter 0 "
                                            rf"\(shape \(3, 2\), dtype float64\) has a \.grad "
                                            rf"of shape {re.escape(str(bad_shape))}"):
        step_with(optimizer, params, grads)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.numpy(), b)


@pytest.mark.parametrize("name", sorted(ALL_OPTIMISERS))
def test_a_grad_of_another_dtype_raises_as_in_pytorch(name):
    """torch refuses `p.grad = g` when g's dtype differs from p's; here step() does."""
    params = fresh_params()
    optimizer = ALL_OPTIMISERS[name](params)
    before = [p.numpy().copy() for p in params]
    grads = good_grads(params)
    grads[2] = grads[2].astype(np.float32)
    with pytest.raises(mg.DTypeError, match=r"parameter 2 \(shape \(\), dtype float64\) has a "
                                            r"\.grad of dtype float32"):
        step_with(optimizer, params, grads)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.numpy(), b)


MAXIMISABLE = {
    "SGD": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adam": dict(lr=0.01, amsgrad=True, weight_decay=0.01), "AdamW": dict(lr=0.01),
    "RMSprop": dict(momentum=0.5, centered=True), "Adagrad": dict(weight_decay=0.01),
    "Adadelta": dict(weight_decay=0.01), "Adamax": dict(), "NAdam": dict(weight_decay=0.01),
    "RAdam": dict(weight_decay=0.01),
}


@pytest.mark.parametrize("name", sorted(MAXIMISABLE))
def test_maximize_is_descent_on_the_negated_gradient(name):
    cls, config = getattr(optim, name), MAXIMISABLE[name]
    ascending, descending = fresh_params(), fresh_params()
    up, down = cls(ascending, maximize=True, **config), cls(descending, **config)
    for t in range(6):
        grads = [np.full(p.shape, (-1.0) ** t * (t + 1) * 0.3) for p in ascending]
        step_with(up, ascending, grads)
        step_with(down, descending, [-g for g in grads])
    for a, d in zip(ascending, descending):
        np.testing.assert_array_equal(a.numpy(), d.numpy())
    assert up.param_groups[0]["maximize"] is True


@pytest.mark.parametrize("name", sorted(MAXIMISABLE))
def test_implementation_flags_are_accepted_or_refused_clearly(name):
    cls, config = getattr(optim, name), MAXIMISABLE[name]
    accepted = inspect.signature(cls).parameters
    reference, params = fresh_params(), fresh_params()
    plain = cls(reference, **config)
    flagged = cls(params, **config, foreach=True) if "foreach" in accepted else None
    for t in range(4):
        grads = [np.full(p.shape, 0.2 * (t - 1.5)) for p in params]
        step_with(plain, reference, grads)
        if flagged is not None:
            step_with(flagged, params, grads)
    if flagged is not None:  # foreach changes how PyTorch loops, not the numbers
        for a, b in zip(params, reference):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(mg.GraphError, match=f"{name}: differentiable=True"):
        cls(fresh_params(), **config, differentiable=True)
    if "capturable" in accepted:
        with pytest.raises(mg.DeviceError, match=f"{name}: capturable=True is for CUDA graph"):
            cls(fresh_params(), **config, capturable=True)
    if "fused" in accepted:
        cls(fresh_params(), **config, fused=True)
        with pytest.raises(ValueError, match="`fused` and `foreach` cannot be `True` together"):
            cls(fresh_params(), **config, fused=True, foreach=True)


# ------------------------------------------------------------------ load_state_dict checks
def trained_adam():
    params = fresh_params()
    optimizer = Adam([{"params": params[:1], "lr": 1e-3}, {"params": params[1:]}], lr=0.05,
                     amsgrad=True)
    train(optimizer, params, 3)
    return optimizer


def snapshot(optimizer):
    """Everything load_state_dict could change, down to the array bytes and identities."""
    state = {id(p): {k: (v, v.tobytes(), v.dtype, v.shape) if isinstance(v, np.ndarray)
                     else (v, type(v)) for k, v in s.items()}
             for p, s in optimizer.state.items()}
    groups = [{k: ([id(p) for p in v] if k == "params" else (v, type(v)))
               for k, v in g.items()} for g in optimizer.param_groups]
    return state, groups, [id(g) for g in optimizer.param_groups], id(optimizer.state)


def assert_unchanged(optimizer, before):
    state, groups, group_ids, state_id = before
    now_state, now_groups, now_group_ids, now_state_id = snapshot(optimizer)
    assert (now_group_ids, now_state_id) == (group_ids, state_id)
    assert now_groups == groups
    assert now_state.keys() == state.keys()
    for key in state:
        assert now_state[key].keys() == state[key].keys()
        for name, saved in state[key].items():
            if isinstance(saved[0], np.ndarray):
                assert now_state[key][name][0] is saved[0]  # the very same buffer
                assert now_state[key][name][1:] == saved[1:]
            else:
                assert now_state[key][name] == saved


def _set(path, value):
    def edit(state_dict):
        *head, last = path
        target = state_dict
        for key in head:
            target = target[key]
        target[last] = value
    return edit


def _delete(path):
    def edit(state_dict):
        *head, last = path
        target = state_dict
        for key in head:
            target = target[key]
        del target[last]
    return edit


BAD_STATE_DICTS = {
    "missing step": (_delete(["state", 2, "step"]),
                     r"the state of parameter 2 has no 'step' entry; Adam keeps \['step'"),
    "step is None": (_set(["state", 0, "step"], None), "parameter 0 has no 'step' entry"),
    "non-numeric step": (_set(["state", 1, "step"], "3"),
                         r"state 'step' of parameter 1 must be a number, got '3'"),
    "fractional step": (_set(["state", 1, "step"], 2.5), "must be a whole number >= 0"),
    "non-numeric array": (_set(["state", 2, "exp_avg"], np.array("abc")),
                          r"state 'exp_avg' of parameter 2 is not numeric: dtype <U3"),
    "wrong shape": (_set(["state", 1, "exp_avg_sq"], np.zeros(3)),
                    r"state 'exp_avg_sq' of parameter 1 has shape \(3,\) but the parameter "
                    r"has shape \(2,\)"),
    "bad state index": (_set(["state", 7], {"step": 1}),
                        "a bad optimiser state index: the state has an entry for parameter 7, "
                        r"but the param groups hold parameters 0\.\.2"),
    "non-integer index": (_set(["state", "w"], {"step": 1}), "'w', which is not a parameter"),
    "unexpected entry": (_set(["state", 0, "momentum_buffer"], np.zeros((3, 2))),
                         "unexpected entry 'momentum_buffer'; Adam keeps"),
    "too few groups": (lambda sd: sd["param_groups"].pop(),
                       "the state has 1 param groups but the optimiser has 2"),
    "group sizes": (_set(["param_groups", 1, "params"], [1]),
                    "param group 1 has 1 parameters in the state but 2 in the optimiser"),
    "index listed twice": (_set(["param_groups", 1, "params"], [0, 2]),
                           "parameter index 0 is listed twice"),
    "invalid lr": (_set(["param_groups", 1, "lr"], -1.0),
                   "param group 1: Adam: Invalid learning rate: -1.0"),
    "non-numeric lr": (_set(["param_groups", 0, "lr"], "fast"),
                       "param group 0: Adam: lr must be a number, got 'fast'"),
    "bad betas": (_set(["param_groups", 0, "betas"], [0.9, 1.2]),
                  "Invalid beta parameter at index 1: 1.2"),
    "no state": (_delete(["state"]), r"the state dict has no \['state'\] entry"),
    "params not a list": (_set(["param_groups", 0, "params"], 0),
                          "param group 0 must be a dict with a 'params' list"),
}


@pytest.mark.parametrize("case", sorted(BAD_STATE_DICTS))
def test_a_bad_state_dict_is_refused_and_changes_nothing(case):
    edit, message = BAD_STATE_DICTS[case]
    source = trained_adam()
    target = trained_adam()
    train(target, [p for g in target.param_groups for p in g["params"]], 1)  # differs now
    state_dict = source.state_dict()
    state_dict["param_groups"][1]["lr"] = 0.123  # a valid change listed before the bad one
    state_dict["state"][0]["exp_avg"] = state_dict["state"][0]["exp_avg"] + 1.0
    edit(state_dict)
    before = snapshot(target)
    with pytest.raises(StateDictError, match=message):
        target.load_state_dict(state_dict)
    assert_unchanged(target, before)


def test_a_valid_state_dict_still_loads_after_the_checks():
    source, target = trained_adam(), trained_adam()
    state_dict = source.state_dict()
    state_dict["state"][1]["step"] = 7.0  # a whole float (another tool) becomes an int
    state_dict["state"][0]["max_exp_avg_sq"] = None  # an optional buffer not created yet
    target.load_state_dict(state_dict)
    params = [p for g in target.param_groups for p in g["params"]]
    assert target.state[params[1]]["step"] == 7 and type(target.state[params[1]]["step"]) is int
    assert "max_exp_avg_sq" not in target.state[params[0]]
    np.testing.assert_array_equal(target.state[params[2]]["exp_avg"],
                                  source.state_dict()["state"][2]["exp_avg"])
    train(target, params, 1)  # amsgrad recreates the missing buffer
    assert "max_exp_avg_sq" in target.state[params[0]]

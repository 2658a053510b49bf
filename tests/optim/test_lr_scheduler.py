"""Schedulers against their closed forms (written out here), against
torch.optim.lr_scheduler step by step, chaining, and state_dict resumption."""

import json
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import SGD, Adam
from minigrad.optim import lr_scheduler as sch

BASE_LRS = (0.1, 0.02)


def make_optimizer(kind="sgd"):
    params = [mg.tensor(np.ones(2), requires_grad=True) for _ in range(2)]
    groups = [{"params": [params[0]], "lr": BASE_LRS[0]},
              {"params": [params[1]], "lr": BASE_LRS[1]}]
    if kind == "adam":
        return Adam(groups)
    return SGD(groups, lr=0.5, momentum=0.9)


def make_torch_optimizer(kind="sgd"):
    torch = pytest.importorskip("torch")
    params = [torch.ones(2, requires_grad=True) for _ in range(2)]
    groups = [{"params": [params[0]], "lr": BASE_LRS[0]},
              {"params": [params[1]], "lr": BASE_LRS[1]}]
    if kind == "adam":
        return torch.optim.Adam(groups)
    return torch.optim.SGD(groups, lr=0.5, momentum=0.9)


def lr_history(scheduler, steps, metric=None):
    """get_last_lr() after construction and after each of `steps` steps."""
    history = [scheduler.get_last_lr()]
    for t in range(steps):
        scheduler.step() if metric is None else scheduler.step(metric(t))
        history.append(scheduler.get_last_lr())
    return np.array(history)


def closed_form(factor, steps):
    """lr_t = base_lr * factor(t) for both groups."""
    return np.array([[base * factor(t) for base in BASE_LRS] for t in range(steps + 1)])


def cosine(t, T, eta_min=0.0, base=1.0):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T)) / 2


CLOSED_FORMS = {
    "lambda": (lambda o: sch.LambdaLR(o, lambda t: 1 / (1 + t)), lambda t: 1 / (1 + t)),
    "step": (lambda o: sch.StepLR(o, step_size=3, gamma=0.5), lambda t: 0.5 ** (t // 3)),
    "multistep": (lambda o: sch.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.1),
                  lambda t: 0.1 ** sum(m <= t for m in [2, 5, 5, 9])),
    "constant": (lambda o: sch.ConstantLR(o, factor=0.25, total_iters=4),
                 lambda t: 0.25 if t < 4 else 1.0),
    "linear": (lambda o: sch.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=6),
               lambda t: 0.1 + 0.9 * min(t, 6) / 6),
    "exponential": (lambda o: sch.ExponentialLR(o, gamma=0.8), lambda t: 0.8 ** t),
    "polynomial": (lambda o: sch.PolynomialLR(o, total_iters=8, power=2.0),
                   lambda t: (1 - min(t, 8) / 8) ** 2),
    "cosine": (lambda o: sch.CosineAnnealingLR(o, T_max=10), lambda t: cosine(t, 10)),
    "inverse_time": (lambda o: sch.InverseTimeLR(o, tau=4), lambda t: 4 / max(t, 4)),
    "multiplicative": (lambda o: sch.MultiplicativeLR(o, lambda t: 0.9),
                       lambda t: 0.9 ** t),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_recursive_schedule_equals_closed_form(name):
    make, factor = CLOSED_FORMS[name]
    np.testing.assert_allclose(lr_history(make(make_optimizer()), 12),
                               closed_form(factor, 12), rtol=1e-12, atol=1e-15)


def test_cosine_with_eta_min_follows_the_cosine_back_up_past_t_max():
    history = lr_history(sch.CosineAnnealingLR(make_optimizer(), T_max=5, eta_min=0.001), 15)
    expected = [[cosine(t, 5, 0.001, base) for base in BASE_LRS] for t in range(16)]
    np.testing.assert_allclose(history, expected, rtol=1e-12)


@pytest.mark.parametrize("t_mult", [1, 2])
def test_warm_restarts_closed_form(t_mult):
    def lr(t):  # walk the run lengths 3, 3 * t_mult, ... to find the current run
        start, length = 0, 3
        while t >= start + length:
            start, length = start + length, length * t_mult
        return 0.001 + (0.1 - 0.001) * cosine(t - start, length)

    scheduler = sch.CosineAnnealingWarmRestarts(make_optimizer(), T_0=3, T_mult=t_mult,
                                                eta_min=0.001)
    history = lr_history(scheduler, 25)[:, 0]
    np.testing.assert_allclose(history, [lr(t) for t in range(26)], rtol=1e-12)
    scheduler.step(7.5)  # fractional epochs, as when stepping once per batch
    assert scheduler.get_last_lr()[0] == pytest.approx(lr(7.5), rel=1e-12)


def test_constructor_performs_the_initial_step():
    optimizer = make_optimizer()
    scheduler = sch.LinearLR(optimizer, start_factor=0.5, total_iters=4)
    assert scheduler.last_epoch == 0
    assert [g["lr"] for g in optimizer.param_groups] == [0.05, 0.01]
    assert [g["initial_lr"] for g in optimizer.param_groups] == list(BASE_LRS)


def test_chained_schedulers_multiply_their_factors():
    optimizer = make_optimizer()
    a = sch.ExponentialLR(optimizer, gamma=0.9)
    b = sch.StepLR(optimizer, step_size=4, gamma=0.5)
    history = [b.get_last_lr()]
    for _ in range(12):
        a.step()
        b.step()
        history.append(b.get_last_lr())
    expected = closed_form(lambda t: 0.9 ** t * 0.5 ** (t // 4), 12)
    np.testing.assert_allclose(history, expected, rtol=1e-12)
    chained = sch.ChainedScheduler([sch.ExponentialLR(o := make_optimizer(), gamma=0.9),
                                    sch.StepLR(o, step_size=4, gamma=0.5)])
    np.testing.assert_allclose(lr_history(chained, 12), expected, rtol=1e-12)


def test_sequential_warmup_then_cosine_closed_form():
    optimizer = make_optimizer()
    warmup = sch.LinearLR(optimizer, start_factor=0.1, total_iters=5)
    anneal = sch.CosineAnnealingLR(optimizer, T_max=10)
    scheduler = sch.SequentialLR(optimizer, [warmup, anneal], milestones=[5])
    expected = closed_form(lambda t: 0.1 + 0.9 * t / 5 if t < 5 else cosine(t - 5, 10), 15)
    np.testing.assert_allclose(lr_history(scheduler, 15), expected, rtol=1e-12)


def triangular(t, base, top, half, scale=lambda cycle, t: 1.0):
    """Smith 2017's triangle: |x| distance from the peak of the current cycle."""
    cycle = math.floor(1 + t / (2 * half))
    x = abs(t / half - 2 * cycle + 1)
    return base + (top - base) * max(0.0, 1 - x) * scale(cycle, t)


@pytest.mark.parametrize("mode, scale", [
    ("triangular", lambda cycle, t: 1.0),
    ("triangular2", lambda cycle, t: 1 / 2 ** (cycle - 1)),
    ("exp_range", lambda cycle, t: 0.95 ** t),
])
def test_cyclic_lr_closed_form(mode, scale):
    optimizer = make_optimizer()
    scheduler = sch.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1, step_size_up=4, mode=mode,
                             gamma=0.95)
    history = lr_history(scheduler, 20)[:, 0]
    expected = [triangular(t, 0.01, 0.1, 4, scale) for t in range(21)]
    np.testing.assert_allclose(history, expected, rtol=1e-12)
    # momentum moves against the lr: at the lr peak (t = 4) it is at base_momentum
    assert optimizer.param_groups[0]["momentum"] == pytest.approx(
        0.9 - (0.9 - 0.8) * (1 - abs(20 / 4 - 2 * 3 + 1)) * scale(3, 20))


def test_one_cycle_closed_form():
    optimizer = make_optimizer()
    scheduler = sch.OneCycleLR(optimizer, max_lr=1.0, total_steps=20, pct_start=0.25,
                               div_factor=10, final_div_factor=100)
    history = lr_history(scheduler, 19)[:, 0]
    warm_end, last = 0.25 * 20 - 1, 19

    def expected(t):
        if t <= warm_end:  # cosine from 0.1 up to 1.0
            return 1.0 + (0.1 - 1.0) * (1 + math.cos(math.pi * t / warm_end)) / 2
        pct = (t - warm_end) / (last - warm_end)  # cosine from 1.0 down to 0.1 / 100
        return 1e-3 + (1.0 - 1e-3) * (1 + math.cos(math.pi * pct)) / 2

    np.testing.assert_allclose(history, [expected(t) for t in range(20)], rtol=1e-12)
    with pytest.raises(ValueError, match="stepped 21 times but total_steps is 20"):
        scheduler.step()
        scheduler.step()


def test_one_cycle_cycles_adam_beta1():
    optimizer = make_optimizer("adam")
    sch.OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
    assert optimizer.param_groups[0]["betas"] == (0.95, 0.999)


def test_cycle_momentum_needs_momentum():
    class Plain:
        param_groups = [{"lr": 0.1, "params": []}]
        defaults = {"lr": 0.1}

    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimiser with momentum"):
        sch.CyclicLR(Plain(), 0.01, 0.1)


def test_reduce_on_plateau_by_hand():
    optimizer = make_optimizer()
    scheduler = sch.ReduceLROnPlateau(optimizer, factor=0.5, patience=2, cooldown=1,
                                      min_lr=[0.03, 0.0])
    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5]
    lrs = []
    for m in metrics:
        scheduler.step(m)
        lrs.append(scheduler.get_last_lr()[0])
    # improvements at epochs 1, 2, 9; three bad epochs (> patience 2) -> halve at epoch 5;
    # one cooldown epoch (6) does not count; bad again at 7, 8 then 9 improves
    assert lrs == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]
    scheduler = sch.ReduceLROnPlateau(make_optimizer(), mode="max", threshold=0.1,
                                      threshold_mode="abs", patience=0, factor=0.1)
    for m in [1.0, 1.05, 1.2]:  # 1.05 is not better than 1.0 + 0.1
        scheduler.step(m)
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs[-3:] == [0.1, pytest.approx(0.01), pytest.approx(0.01)]


@pytest.mark.parametrize("bad, message", [
    (dict(factor=1.0), "factor must be < 1, got 1.0"),
    (dict(mode="lowest"), "mode must be 'min' or 'max', got 'lowest'"),
    (dict(threshold_mode="pct"), "threshold_mode must be 'rel' or 'abs'"),
    (dict(min_lr=[0.1]), "expected 2 values of min_lr"),
])
def test_reduce_on_plateau_validation(bad, message):
    with pytest.raises(ValueError, match=message):
        sch.ReduceLROnPlateau(make_optimizer(), **bad)


def test_scheduler_argument_errors():
    with pytest.raises(TypeError, match="expected an optimiser"):
        sch.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="InverseTimeLR: tau must be positive, got 0"):
        sch.InverseTimeLR(make_optimizer(), tau=0)
    optimizer = make_optimizer()
    with pytest.raises(ValueError, match="2 schedulers need 1 milestones, got 0"):
        sch.SequentialLR(optimizer, [sch.ExponentialLR(optimizer, 0.9),
                                     sch.ExponentialLR(optimizer, 0.9)], milestones=[])
    with pytest.raises(KeyError, match="needs 'initial_lr'"):
        sch.StepLR(make_optimizer(), step_size=2, last_epoch=3)


# ------------------------------------------------------------------ state_dict
RESUMABLE = {
    "cosine": lambda o: sch.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "sequential": lambda o: sch.SequentialLR(o, [sch.LinearLR(o, 0.1, total_iters=3),
                                                 sch.ExponentialLR(o, 0.9)], [3]),
    "cyclic": lambda o: sch.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="triangular2"),
    "one_cycle": lambda o: sch.OneCycleLR(o, max_lr=0.3, total_steps=20),
    "multistep": lambda o: sch.MultiStepLR(o, [2, 4, 6]),
    "inverse_time": lambda o: sch.InverseTimeLR(o, tau=3),
    "warm_restarts": lambda o: sch.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
}


@pytest.mark.parametrize("name", sorted(RESUMABLE))
def test_state_dict_resumes_exactly_and_is_json(name):
    make = RESUMABLE[name]
    straight = lr_history(make(make_optimizer()), 15)

    optimizer = make_optimizer()
    scheduler = make(optimizer)
    for _ in range(6):
        scheduler.step()
    saved = json.loads(json.dumps({"optimizer": optimizer.state_dict(),
                                   "scheduler": scheduler.state_dict()}))
    optimizer = make_optimizer()
    scheduler = make(optimizer)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    resumed = [scheduler.get_last_lr()]
    for _ in range(9):
        scheduler.step()
        resumed.append(scheduler.get_last_lr())
    np.testing.assert_array_equal(np.array(resumed), straight[6:])


def test_plateau_state_dict_round_trip():
    optimizer = make_optimizer()
    scheduler = sch.ReduceLROnPlateau(optimizer, patience=1)
    for m in [1.0, 2.0]:
        scheduler.step(m)
    state = json.loads(json.dumps(scheduler.state_dict()))
    other = sch.ReduceLROnPlateau(optimizer, patience=1)
    other.load_state_dict(state)
    assert (other.best, other.num_bad_epochs, other.last_epoch) == (1.0, 1, 2)


# ------------------------------------------------------------------ torch parity
TORCH_CASES = {
    "lambda": ("LambdaLR", dict(lr_lambda=lambda t: 0.95 ** t + 0.01 * t)),
    "multiplicative": ("MultiplicativeLR", dict(lr_lambda=lambda t: 0.97)),
    "step": ("StepLR", dict(step_size=3, gamma=0.3)),
    "multistep": ("MultiStepLR", dict(milestones=[2, 5, 5, 11], gamma=0.5)),
    "constant": ("ConstantLR", dict(factor=0.5, total_iters=3)),
    "linear": ("LinearLR", dict(start_factor=0.05, end_factor=0.7, total_iters=7)),
    "exponential": ("ExponentialLR", dict(gamma=0.85)),
    "polynomial": ("PolynomialLR", dict(total_iters=9, power=1.5)),
    "cosine": ("CosineAnnealingLR", dict(T_max=6, eta_min=0.005)),
    "warm_restarts": ("CosineAnnealingWarmRestarts", dict(T_0=4, T_mult=2, eta_min=0.001)),
    "cyclic_tri": ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3,
                                    step_size_down=5)),
    "cyclic_tri2": ("CyclicLR", dict(base_lr=[0.01, 0.002], max_lr=0.1, step_size_up=2,
                                     mode="triangular2")),
    "cyclic_exp": ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3,
                                    mode="exp_range", gamma=0.9)),
    "one_cycle": ("OneCycleLR", dict(max_lr=0.5, total_steps=25)),
    "one_cycle_3": ("OneCycleLR", dict(max_lr=[0.5, 0.1], total_steps=25, pct_start=0.2,
                                       anneal_strategy="linear", three_phase=True)),
}


def momenta(optimizer):
    return [g.get("momentum", g.get("betas", (None,))[0]) for g in optimizer.param_groups]


@pytest.mark.parity
@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_matches_torch_step_by_step(name, kind):
    torch = pytest.importorskip("torch")
    class_name, kwargs = TORCH_CASES[name]
    ours_opt, theirs_opt = make_optimizer(kind), make_torch_optimizer(kind)
    ours = getattr(sch, class_name)(ours_opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, class_name)(theirs_opt, **kwargs)
    for step in range(25):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12,
                                   err_msg=f"step {step}")
        np.testing.assert_allclose(momenta(ours_opt), momenta(theirs_opt), rtol=1e-12)
        theirs_opt.step()
        ours.step()
        theirs.step()


@pytest.mark.parity
def test_sequential_and_chaining_match_torch():
    torch = pytest.importorskip("torch")
    tsch = torch.optim.lr_scheduler
    results = []
    for lib, opt in ((sch, make_optimizer()), (tsch, make_torch_optimizer())):
        warm = lib.LinearLR(opt, start_factor=0.1, total_iters=4)
        cos = lib.CosineAnnealingLR(opt, T_max=8)
        step = lib.StepLR(opt, step_size=5, gamma=0.5)
        seq = lib.SequentialLR(opt, [warm, cos, step], milestones=[4, 12])
        extra = lib.ExponentialLR(opt, gamma=0.99)  # chained on top of the sequence
        history = []
        for _ in range(20):
            history.append([g["lr"] for g in opt.param_groups])
            if lib is tsch:
                opt.step()
            seq.step()
            extra.step()
        results.append(history)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


@pytest.mark.parity
def test_reduce_on_plateau_matches_torch():
    torch = pytest.importorskip("torch")
    generator = np.random.default_rng(0)
    metrics = np.cumsum(generator.normal(-0.02, 0.1, size=60)) + 5
    for kwargs in [dict(), dict(mode="max", threshold_mode="abs", patience=2, cooldown=2),
                   dict(factor=0.5, patience=1, min_lr=0.004, threshold=0.01)]:
        ours_opt, theirs_opt = make_optimizer(), make_torch_optimizer()
        ours = sch.ReduceLROnPlateau(ours_opt, **kwargs)
        theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kwargs)
        for m in metrics:
            ours.step(float(m))
            theirs.step(float(m))
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)


@pytest.mark.parity
def test_inverse_time_matches_torch_lambda():
    torch = pytest.importorskip("torch")
    theirs_opt = make_torch_optimizer()
    theirs = torch.optim.lr_scheduler.LambdaLR(theirs_opt, lambda t: 5 / max(t, 5))
    ours = sch.InverseTimeLR(make_optimizer(), tau=5)
    for _ in range(20):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        theirs_opt.step()
        ours.step()
        theirs.step()

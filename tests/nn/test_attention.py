"""Attention: F.scaled_dot_product_attention and nn.MultiheadAttention against a loop
over queries and keys written here, gradchecked, and against PyTorch when installed."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.errors import ShapeError


def attention_loop(q, k, v, attend=None, scale=None):
    """out[..., i, :] = sum_j w_ij v[..., j, :], w_i = softmax_j(q_i . k_j * scale) over
    the j that `attend[i, j]` allows (all if None); 0 for a query that may attend to none."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    q, k, v = (np.broadcast_to(a, batch + a.shape[-2:]) for a in (q, k, v))
    out = np.zeros(batch + (q.shape[-2], v.shape[-1]))
    for index in np.ndindex(*batch):
        for i in range(q.shape[-2]):
            keys = [j for j in range(k.shape[-2]) if attend is None or attend[i, j]]
            if not keys:
                continue
            scores = np.array([q[index][i] @ k[index][j] * scale for j in keys])
            weights = np.exp(scores - scores.max())
            weights /= weights.sum()
            out[index][i] = sum(w * v[index][j] for w, j in zip(weights, keys))
    return out


@st.composite
def qkv(draw):
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    length, source, embed, value_dim = (draw(st.integers(1, 4)) for _ in range(4))
    seed = draw(st.integers(0, 2**16))
    r = np.random.default_rng(seed)
    return (r.standard_normal(batch + (length, embed)), r.standard_normal(batch + (source, embed)),
            r.standard_normal(batch + (source, value_dim)), r.random((length, source)) > 0.4)


@settings(max_examples=40, deadline=None)
@given(qkv(), st.sampled_from(["none", "bool", "causal", "scale"]))
def test_sdpa_matches_the_loop_and_passes_gradcheck(arrays, variant):
    q, k, v, attend = arrays
    kwargs, allowed = {}, None
    if variant == "bool":
        kwargs, allowed = {"attn_mask": attend}, attend
    elif variant == "causal":
        kwargs = {"is_causal": True}
        allowed = np.tril(np.ones(attend.shape, dtype=bool))
    elif variant == "scale":
        kwargs = {"scale": 0.7}
    tensors = [mg.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*tensors, **kwargs)
    np.testing.assert_allclose(out.numpy(), attention_loop(q, k, v, allowed, kwargs.get("scale")),
                               rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **kwargs),
                        tuple(tensors))


def test_a_float_mask_is_added_to_the_scores():
    r = np.random.default_rng(1)
    q, k, v = r.standard_normal((3, 2)), r.standard_normal((4, 2)), r.standard_normal((4, 3))
    bias = r.standard_normal((3, 4))
    out = F.scaled_dot_product_attention(mg.tensor(q), mg.tensor(k), mg.tensor(v), attn_mask=bias)
    scores = q @ k.T / math.sqrt(2) + bias
    weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out.numpy(), weights @ v, rtol=1e-12)


def test_a_query_with_nothing_to_attend_to_gets_zeros_and_zero_gradients():
    q = mg.tensor(np.ones((2, 3)), requires_grad=True)
    k, v = mg.tensor(np.ones((2, 3)), requires_grad=True), mg.tensor(np.ones((2, 3)))
    mask = np.array([[False, False], [True, False]])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(out.numpy(), [[0, 0, 0], [1, 1, 1]])
    out.sum().backward()
    assert np.isfinite(q.grad.numpy()).all() and not q.grad.numpy()[0].any()


def test_sdpa_refuses_bad_input():
    q = mg.ones(2, 3)
    with pytest.raises(ShapeError, match=r"must share E.*\(2, 3\).*\(2, 4\)"):
        F.scaled_dot_product_attention(q, mg.ones(2, 4), mg.ones(2, 4))
    with pytest.raises(ShapeError, match="does not broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((2, 2), bool), is_causal=True)
    with pytest.raises(TypeError, match="bool or float"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((2, 2), int))


def test_multihead_attention_is_the_heads_of_the_loop_projected():
    mg.manual_seed(0)
    attention = nn.MultiheadAttention(4, 2, dtype=np.float64)
    r = np.random.default_rng(2)
    x = r.standard_normal((3, 1, 4))  # (L, N, E)
    out, weights = attention(mg.tensor(x), mg.tensor(x), mg.tensor(x))
    w = attention.in_proj_weight.numpy()
    b = attention.in_proj_bias.numpy()
    q, k, v = (x[:, 0] @ w[i * 4:(i + 1) * 4].T + b[i * 4:(i + 1) * 4] for i in range(3))
    heads = [attention_loop(q[:, h * 2:(h + 1) * 2], k[:, h * 2:(h + 1) * 2],
                            v[:, h * 2:(h + 1) * 2]) for h in range(2)]
    expected = np.concatenate(heads, axis=1) @ attention.out_proj.weight.numpy().T
    np.testing.assert_allclose(out.numpy()[:, 0], expected, rtol=1e-10)
    assert weights.shape == (1, 3, 3)
    np.testing.assert_allclose(weights.numpy().sum(axis=-1), 1.0)


def test_multihead_attention_gradients_of_input_and_parameters_match_differences():
    mg.manual_seed(0)
    attention = nn.MultiheadAttention(4, 2, dtype=np.float64, batch_first=True)
    x = mg.tensor(np.random.default_rng(3).standard_normal((2, 3, 4)), requires_grad=True)
    mask = np.array([[False, True, False], [False, False, False], [True, False, False]])
    assert mg.gradcheck(lambda x: attention(x, x, x, attn_mask=mask)[0], (x,))

    def loss():
        out, weights = attention(x, x, x, attn_mask=mask)
        return float((out * out).sum() + (weights * weights).sum())

    out, weights = attention(x, x, x, attn_mask=mask)
    ((out * out).sum() + (weights * weights).sum()).backward()
    for parameter in (attention.in_proj_weight, attention.in_proj_bias,
                      attention.out_proj.weight):
        values = parameter.numpy()  # the parameter's own array: perturbed in place
        for index in [(0,) * values.ndim, tuple(s - 1 for s in values.shape)]:
            saved = values[index]
            values[index] = saved + 1e-6
            up = loss()
            values[index] = saved - 1e-6
            down = loss()
            values[index] = saved
            assert parameter.grad.numpy()[index] == pytest.approx((up - down) / 2e-6,
                                                                  rel=1e-5, abs=1e-8)


def test_multihead_attention_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match=r"embed_dim \(5\) must be divisible by num_heads \(2\)"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(NotImplementedError, match="kdim"):
        nn.MultiheadAttention(4, 2, kdim=3)
    attention = nn.MultiheadAttention(4, 2)
    x = mg.ones(3, 1, 4)
    with pytest.raises(ValueError, match="is_causal=True is a hint"):
        attention(x, x, x, is_causal=True)
    with pytest.raises(ShapeError, match=r"expected query \(L, N, 4\)"):
        attention(mg.ones(3, 1, 5), x, x)


# --------------------------------------------------------------------------- PyTorch
def test_sdpa_matches_pytorch_with_masks_including_an_empty_row():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(4)
    q, k = r.standard_normal((2, 5, 4)), r.standard_normal((2, 6, 4))
    v = r.standard_normal((2, 6, 3))
    masks = [None, r.random((5, 6)) > 0.5, r.standard_normal((5, 6))]
    masks[1][0] = False  # query 0 attends to nothing
    for mask in masks:
        ours = F.scaled_dot_product_attention(mg.tensor(q), mg.tensor(k), mg.tensor(v),
                                              attn_mask=mask)
        theirs = torch.nn.functional.scaled_dot_product_attention(
            *(torch.tensor(a) for a in (q, k, v)),
            attn_mask=None if mask is None else torch.tensor(mask))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_matches_pytorch_values_weights_and_gradients(batch_first,
                                                                         need_weights):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(6, 3, batch_first=batch_first).double()
    ours = nn.MultiheadAttention(6, 3, batch_first=batch_first, dtype=np.float64)
    ours.load_state_dict({key: value.detach().numpy() for key, value in
                          theirs.state_dict().items()})
    r = np.random.default_rng(5)
    shape_q, shape_kv = ((2, 4, 6), (2, 5, 6)) if batch_first else ((4, 2, 6), (5, 2, 6))
    query, key = r.standard_normal(shape_q), r.standard_normal(shape_kv)
    padding = np.array([[False, False, True, False, True], [False] * 5])
    attn_mask = r.random((4, 5)) > 0.8  # True: not allowed
    results = []
    for lib, model in ((mg, ours), (torch, theirs)):
        q, kv = lib.tensor(query, requires_grad=True), lib.tensor(key, requires_grad=True)
        out, weights = model(q, kv, kv, key_padding_mask=lib.tensor(padding),
                             attn_mask=lib.tensor(attn_mask), need_weights=need_weights)
        (out.sum() + (weights.sum() if need_weights else 0)).backward()
        grad_w = model.in_proj_weight.grad
        results.append([np.asarray(t.detach().numpy() if lib is torch else t.numpy())
                        for t in (out, q.grad, kv.grad, grad_w)]
                       + ([weights.detach().numpy() if lib is torch else weights.numpy()]
                          if need_weights else []))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_multihead_attention_unbatched_and_per_head_weights_match_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    theirs = torch.nn.MultiheadAttention(4, 2).double()
    ours = nn.MultiheadAttention(4, 2, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((3, 4))
    for average in (True, False):
        a_out, a_w = ours(*(mg.tensor(x),) * 3, average_attn_weights=average)
        b_out, b_w = theirs(*(torch.tensor(x),) * 3, average_attn_weights=average)
        np.testing.assert_allclose(a_out.numpy(), b_out.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(a_w.numpy(), b_w.detach().numpy(), rtol=1e-10)

"""Attention (Vaswani et al. 2017, "Attention Is All You Need", arXiv:1706.03762), as
PyTorch spells it: F.scaled_dot_product_attention and nn.MultiheadAttention.

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d) + M) V

Both are written in existing differentiable ops (matmul, softmax, masked_fill,
dropout), so their gradients, of any order, come from those ops' backward: nothing
here has a backward of its own. The two masks follow PyTorch, and they disagree:
a boolean attn_mask of scaled_dot_product_attention marks the pairs that TAKE
part (True = attend), while nn.MultiheadAttention's boolean attn_mask and
key_padding_mask mark the pairs that do NOT (True = masked out). A float mask is
added to the scores in both. A query with no key left to attend to (its every score
-inf) gets weights 0, hence output 0, from scaled_dot_product_attention, as PyTorch's
does; nn.MultiheadAttention gives NaN there with need_weights=True and 0 without, as
PyTorch's does (its two code paths differ; we follow both).
"""

import math

import numpy as np

from minigrad.errors import DTypeError, ShapeError
from minigrad.nn import init
from minigrad.nn.functional import dropout, linear
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module, Parameter
from minigrad.ops.reduce import softmax
from minigrad.tensor import Tensor

__all__ = ["scaled_dot_product_attention", "MultiheadAttention"]


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(q k^T * scale + mask) v, scale = 1/sqrt(E) unless given.

    Shapes: query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev), the
    leading axes broadcast. attn_mask: broadcastable to (..., L, S), bool (True =
    attend) or float (added to the scores). is_causal: query i attends to keys j <= i
    (the lower triangle of an L x S mask). dropout_p: dropout on the attention weights,
    applied whenever it is above 0, as in PyTorch.
    """
    op = "scaled_dot_product_attention"
    if enable_gqa:
        raise NotImplementedError(f"{op}: enable_gqa=True (grouped-query attention) is not "
                                  "supported")
    _check_qkv(op, query.shape, key.shape, value.shape)
    _check_floating(op, query=query, key=key, value=value)
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: pass attn_mask or is_causal=True, not both")
    length, source = query.shape[-2], key.shape[-2]
    if is_causal:
        attn_mask = np.tril(np.ones((length, source), dtype=bool))
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if attn_mask is not None:
        scores = _apply_mask(op, scores, attn_mask, attend_where=True)
    weights = _softmax_or_zero(scores)
    if dropout_p > 0:
        weights = dropout(weights, p=dropout_p, training=True)
    return weights @ value


def _softmax(scores):
    return softmax(scores, dim=-1)


def _softmax_or_zero(scores):
    """softmax over the last axis, with weights 0 in a row whose every score is -inf
    (plain softmax would give 0/0 = NaN there)."""
    empty = np.isneginf(scores.numpy()).all(axis=-1, keepdims=True)
    if not empty.any():
        return _softmax(scores)
    empty = np.broadcast_to(empty, scores.shape)
    return _softmax(scores.masked_fill(empty, 0.0)).masked_fill(empty, 0.0)


def _check_floating(op, **tensors):
    for name, tensor in tensors.items():
        if np.dtype(tensor.dtype).kind != "f":
            raise DTypeError(f"{op}: {name} must be a floating-point tensor, got dtype "
                             f"{tensor.dtype}")


def _check_qkv(op, q_shape, k_shape, v_shape):
    if min(len(q_shape), len(k_shape), len(v_shape)) < 2:
        raise ShapeError(f"{op}: query, key and value must have at least 2 dimensions "
                         f"(..., L, E); got {tuple(q_shape)}, {tuple(k_shape)}, {tuple(v_shape)}")
    if q_shape[-1] != k_shape[-1] or k_shape[-2] != v_shape[-2]:
        raise ShapeError(f"{op}: query (..., L, E) and key (..., S, E) must share E, and key "
                         f"and value (..., S, Ev) must share S; got query {tuple(q_shape)}, "
                         f"key {tuple(k_shape)}, value {tuple(v_shape)}")


def _as_array(mask):
    return mask.numpy() if isinstance(mask, Tensor) else np.asarray(mask)


def _apply_mask(op, scores, mask, attend_where):
    """scores with the mask applied: a bool mask sets the scores it excludes to -inf
    (it excludes where it is not `attend_where`), a float mask is added."""
    mask_array = _as_array(mask)
    try:
        np.broadcast_shapes(mask_array.shape, scores.shape)
    except ValueError:
        raise ShapeError(f"{op}: the mask of shape {mask_array.shape} does not broadcast "
                         f"to the attention scores' shape {tuple(scores.shape)}") from None
    if mask_array.dtype == bool:
        excluded = ~mask_array if attend_where else mask_array
        return scores.masked_fill(excluded, float("-inf"))
    if mask_array.dtype.kind != "f":
        raise TypeError(f"{op}: a mask must be bool or float, got dtype {mask_array.dtype}")
    return scores + (mask if isinstance(mask, Tensor) else Tensor(mask_array))


class MultiheadAttention(Module):
    """PyTorch's nn.MultiheadAttention: h heads of scaled dot-product attention on
    learned projections, concatenated and projected back,

        head_i = Attention(q Wq_i^T, k Wk_i^T, v Wv_i^T),  out = [head_1 ... head_h] Wo^T + bo.

    Parameters, with PyTorch's names and initialisation, so state_dicts move between
    the two: in_proj_weight (3E, E) = [Wq; Wk; Wv] (Xavier uniform), in_proj_bias
    (3E,) (zeros), out_proj (a Linear E -> E, its bias zeros).
    Shapes: query (L, N, E), key and value (S, N, E) ((N, L, E) with batch_first), or
    unbatched (L, E) -> (output like query, weights (N, L, S) averaged over the heads,
    or (N, h, L, S) with average_attn_weights=False; None with need_weights=False).
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False,
                 device=None, dtype=None):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible "
                             f"by num_heads ({num_heads})")
        if add_bias_kv or add_zero_attn or kdim not in (None, embed_dim) \
                or vdim not in (None, embed_dim):
            raise NotImplementedError("MultiheadAttention: add_bias_kv, add_zero_attn and "
                                      "kdim/vdim other than embed_dim are not supported")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        dtype = np.float32 if dtype is None else dtype
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        init.xavier_uniform_(self.in_proj_weight)
        if bias:
            init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        if is_causal and attn_mask is None:
            raise ValueError("MultiheadAttention: is_causal=True is a hint about attn_mask; "
                             "pass the causal attn_mask too, as PyTorch requires")
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            key_padding_mask = None if key_padding_mask is None else key_padding_mask[None]
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        output, weights = self._attend(query, key, value, key_padding_mask, attn_mask,
                                       _softmax if need_weights else _softmax_or_zero)
        output = output.squeeze(1) if unbatched else \
            output.transpose(0, 1) if self.batch_first else output
        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        return output, (weights.squeeze(0) if unbatched else weights)

    def _attend(self, query, key, value, key_padding_mask, attn_mask, normalise):
        """query (L, N, E), key and value (S, N, E) -> (L, N, E) and weights (N, h, L, S);
        normalise(scores) makes the weights (_softmax or _softmax_or_zero)."""
        length, batch, embed = query.shape
        if embed != self.embed_dim or key.shape != value.shape or key.shape[1:] != query.shape[1:]:
            raise ShapeError(f"MultiheadAttention: expected query (L, N, {self.embed_dim}) and "
                             f"key, value (S, N, {self.embed_dim}); got {tuple(query.shape)}, "
                             f"{tuple(key.shape)}, {tuple(value.shape)}")
        w_q, w_k, w_v = (self.in_proj_weight[i * embed:(i + 1) * embed] for i in range(3))
        b_q, b_k, b_v = (None,) * 3 if self.in_proj_bias is None else \
            (self.in_proj_bias[i * embed:(i + 1) * embed] for i in range(3))
        q, k, v = (self._heads(linear(x, w, b)) for x, w, b in
                   ((query, w_q, b_q), (key, w_k, b_k), (value, w_v, b_v)))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))  # (N, h, L, S)
        if attn_mask is not None:
            mask = _as_array(attn_mask)
            if mask.ndim == 3:  # (N*h, L, S), PyTorch's batched layout
                mask = mask.reshape(batch, self.num_heads, *mask.shape[1:])
            scores = _apply_mask("MultiheadAttention", scores, mask, attend_where=False)
        if key_padding_mask is not None:
            padding = _as_array(key_padding_mask)
            scores = _apply_mask("MultiheadAttention", scores, padding[:, None, None, :],
                                 attend_where=False)
        weights = normalise(scores)
        if self.training and self.dropout > 0:
            weights = dropout(weights, p=self.dropout, training=True)
        heads = weights @ v  # (N, h, L, d)
        merged = heads.permute(2, 0, 1, 3).reshape(length, batch, embed)
        return self.out_proj(merged), weights

    def _heads(self, x):
        """(T, N, E) -> (N, h, T, d)."""
        steps, batch = x.shape[:2]
        return x.reshape(steps, batch, self.num_heads, self.head_dim).permute(1, 2, 0, 3)

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")

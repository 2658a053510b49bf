"""Embedding: a lookup table of learned vectors, one row per index (Bengio et al. 2003).

    y[..., :] = W[x[...], :]

The lookup is indexing, so its gradient is the scatter-add that indexing's backward
already is: each row of W receives the sum of the gradients of the positions that
looked it up.
"""

import numpy as np

from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn._factory import factory_dtype
from minigrad.nn.module import Module, Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """num_embeddings vectors of size embedding_dim, looked up by integer index.

    input: integer tensor of any shape (...) -> output (..., embedding_dim).
    weight: (num_embeddings, embedding_dim), initialised N(0, 1) as in PyTorch; the
    row padding_idx starts at 0 and gets no gradient.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        dtype = factory_dtype(dtype, device, "Embedding")
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: max_norm, scale_grad_by_freq and sparse "
                                      "are not supported by minigrad")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_index(padding_idx, num_embeddings)
        values = np.empty((num_embeddings, embedding_dim), dtype=dtype) if _weight is None \
            else np.asarray(_weight, dtype=dtype)
        self.weight = Parameter(values, requires_grad=not _freeze)
        if _weight is None:
            self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input):  # noqa: A002  (PyTorch's name)
        return F.embedding(input, self.weight, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding whose weight is `embeddings` (rows, dim), frozen by default."""
        rows, dim = np.shape(embeddings)
        return cls(rows, dim, padding_idx=padding_idx, _weight=np.asarray(embeddings),
                   _freeze=freeze)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None
                       else "")


def _padding_index(padding_idx, num_embeddings):
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"Embedding: padding_idx {padding_idx} must be within "
                         f"[-{num_embeddings}, {num_embeddings})")
    return padding_idx % num_embeddings


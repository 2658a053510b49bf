"""Dropout modules: active in train(), the identity in eval()."""

from minigrad.nn import functional as F
from minigrad.nn.module import Module

__all__ = ["Dropout", "Dropout2d"]


class Dropout(Module):
    """Inverted dropout: zero each element with probability p, scale the rest by
    1/(1 - p) (Srivastava et al. 2014). Shapes: any -> same."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Dropout2d(Dropout):
    """Zero whole channels of (N, C, H, W) inputs with probability p (Tompson et al. 2015)."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)

"""Activation and gradient statistics: is every layer of the network well scaled?

A healthy deep network keeps its activations and gradients at roughly the same
scale in every layer. When it does not, the symptoms are easy to read once they
are measured (Glorot & Bengio 2010; Karpathy, cs231n lecture "Training neural
networks I"):

    std shrinking layer after layer     -> activations collapse to 0, gradients vanish
    |tanh| > 0.99 in most units          -> saturation, local gradient 1 - y^2 ~ 0
    many exact zeros after ReLU          -> dead units that never pass a gradient
    update/weight ratio far from ~1e-3   -> learning rate far too small or too large

    probe = ActivationStats(model)        # forward hooks on every activation layer
    loss = criterion(model(x), y)
    loss.backward()                       # tensor hooks record the gradients
    print(probe.table())
    probe.plot_histograms().savefig("activations.png")
    probe.remove()

`update_ratios` measures ||w_after - w_before|| / ||w_before|| per parameter for
one optimiser step.
"""

from dataclasses import dataclass

import numpy as np

from minigrad.autograd import no_grad
from minigrad.tensor import Tensor

__all__ = [
    "TensorStats", "tensor_stats", "saturation_fraction", "ActivationStats",
    "UpdateRatios", "update_ratios", "format_table", "plot_histograms",
]

# Bounds past which a squashing nonlinearity is "saturated": its slope there is
# below ~0.02 of its maximum, so almost no gradient passes.
SATURATION = {"tanh": 0.99, "sigmoid": (0.01, 0.99)}


@dataclass
class TensorStats:
    """Summary of one tensor (an activation or a gradient).

    mean, std: over every element (std with ddof=0).
    frac_zero: fraction of elements exactly 0 (dead ReLU units).
    frac_saturated: fraction past the saturation bound of `kind` (None when the
        kind has no such bound, e.g. ReLU or a gradient).
    counts, edges: histogram (len(edges) == len(counts) + 1).
    """

    name: str
    kind: str
    shape: tuple
    mean: float
    std: float
    frac_zero: float
    frac_saturated: float | None
    counts: np.ndarray
    edges: np.ndarray


def saturation_fraction(values, kind):
    """Fraction of `values` in the flat tails of `kind` ('tanh' or 'sigmoid'), else None.

    tanh:    |y| > 0.99             sigmoid:  y < 0.01 or y > 0.99
    """
    values = np.asarray(values)
    if kind == "tanh":
        return float(np.mean(np.abs(values) > SATURATION["tanh"]))
    if kind == "sigmoid":
        low, high = SATURATION["sigmoid"]
        return float(np.mean((values < low) | (values > high)))
    return None


def tensor_stats(values, name="", kind="", bins=50, value_range=None):
    """TensorStats of a Tensor or array; `kind` ('tanh', 'sigmoid', 'relu', ...)
    selects the saturation test. `value_range` fixes the histogram range
    (default: the data's min and max)."""
    array = values._data if isinstance(values, Tensor) else np.asarray(values)
    flat = array.astype(np.float64, copy=False).ravel()
    if value_range is None and flat.size:
        low, high = float(flat.min()), float(flat.max())
        value_range = (low, high) if high > low else (low - 0.5, high + 0.5)
    counts, edges = np.histogram(flat, bins=bins, range=value_range)
    return TensorStats(name=name, kind=kind, shape=tuple(array.shape),
                       mean=float(flat.mean()), std=float(flat.std()),
                       frac_zero=float(np.mean(flat == 0.0)),
                       frac_saturated=saturation_fraction(flat, kind),
                       counts=counts, edges=edges)


def _activation_kind(module):
    """'tanh', 'sigmoid', 'relu', ... from a module's class name, lower case."""
    return type(module).__name__.lower()


def _default_modules(model):
    """The activation layers of a model: modules from minigrad.nn.activation."""
    return [(name, module) for name, module in model.named_modules()
            if type(module).__module__.endswith("nn.activation")]


class ActivationStats:
    """Records activation (forward hook) and gradient (tensor hook) statistics
    of chosen layers of a model, for each forward/backward pass.

    Args:
        model: an nn.Module.
        modules: list of (name, module) to watch, or None for every activation
            layer (Tanh, ReLU, Sigmoid, ... from minigrad.nn.activation).
        bins: histogram bins.
        gradients: also record the gradient of each watched output during backward.
    After a pass: `activations` and `gradients` map name -> TensorStats of the
    latest pass (in layer order); `history` keeps every pass's activations.
    A new pass is recognised when a watched layer fires a second time, so watch
    each module instance only where it is called once per forward.
    """

    def __init__(self, model, modules=None, bins=50, gradients=True):
        self.bins = bins
        self.record_gradients = gradients
        self.activations, self.gradients, self.history = {}, {}, []
        watched = _default_modules(model) if modules is None else list(modules)
        if not watched:
            raise ValueError(f"ActivationStats: no layers to watch in {type(model).__name__}; "
                             f"pass modules=[(name, module), ...]")
        self.handles = [module.register_forward_hook(self._hook_for(name))
                        for name, module in watched]

    def _hook_for(self, name):
        def hook(module, inputs, output):
            kind = _activation_kind(module)
            stats = tensor_stats(output, name, kind, self.bins)
            if not self.activations or name in self.activations:
                self.activations = {}  # a new forward pass starts
                self.history.append(self.activations)
            self.activations[name] = stats
            if self.record_gradients and output.requires_grad:
                output.register_hook(self._grad_hook_for(name))
        return hook

    def _grad_hook_for(self, name):
        def hook(grad):
            self.gradients[name] = tensor_stats(grad, name, "grad", self.bins)
        return hook

    def remove(self):
        """Unregister every hook (the model runs exactly as before)."""
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()

    def table(self):
        """Printable per-layer table of the latest pass (activations, then gradients)."""
        text = format_table(list(self.activations.values()), "activations")
        if self.gradients:
            ordered = [self.gradients[n] for n in self.activations if n in self.gradients]
            text += "\n" + format_table(ordered, "gradients")
        return text

    def plot_histograms(self, fig=None, title="activations"):
        """The classic row of per-layer histograms (activations; gradients below when
        recorded). Returns a matplotlib Figure (Agg, no pyplot)."""
        rows = [list(self.activations.values())]
        if self.gradients:
            rows.append([self.gradients[n] for n in self.activations if n in self.gradients])
        return plot_histograms(rows, fig=fig, row_titles=[title, "gradients"][:len(rows)])


def format_table(stats, title=""):
    """Fixed-width text table: layer, kind, mean, std, % zero, % saturated."""
    lines = [title] if title else []
    lines.append(f"{'layer':<16}{'kind':<10}{'mean':>12}{'std':>12}{'zero %':>9}{'sat %':>8}")
    for s in stats:
        sat = "-" if s.frac_saturated is None else f"{100 * s.frac_saturated:.1f}"
        lines.append(f"{s.name:<16}{s.kind:<10}{s.mean:>12.4g}{s.std:>12.4g}"
                     f"{100 * s.frac_zero:>9.1f}{sat:>8}")
    return "\n".join(lines)


def plot_histograms(rows, fig=None, row_titles=None):
    """One row of histograms per list of TensorStats, one panel per layer.

    rows: list of lists of TensorStats (e.g. one row per weight init).
    Returns the matplotlib Figure.
    """
    from minigrad._figure import InlineFigure  # displays inline in a notebook

    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig = fig or InlineFigure(figsize=(2.2 * n_cols, 2.0 * n_rows), layout="constrained")
    axes = np.asarray(fig.subplots(n_rows, n_cols, squeeze=False))
    for r, row in enumerate(rows):
        for c in range(n_cols):
            ax = axes[r, c]
            if c >= len(row):
                ax.set_axis_off()
                continue
            s = row[c]
            ax.stairs(s.counts, s.edges, fill=True)
            ax.set_title(f"{s.name}\nmean {s.mean:.2g} std {s.std:.2g}", fontsize=7)
            ax.tick_params(labelsize=6)
            ax.set_yticks([])
        if row_titles:
            axes[r, 0].set_ylabel(row_titles[r], fontsize=8)
    return fig


class UpdateRatios:
    """Update-to-weight ratio ||w_after - w_before|| / ||w_before|| per parameter.

    Rule of thumb (cs231n): around 1e-3 is healthy; much lower means the learning
    rate is too small, much higher that it is too large.

        tracker = UpdateRatios(model.named_parameters())
        tracker.snapshot(); optimizer.step(); ratios = tracker.measure()
    """

    def __init__(self, named_parameters):
        self.params = list(named_parameters)
        self.before = None
        self.history = []

    def snapshot(self):
        self.before = [p._data.copy() for _, p in self.params]

    def measure(self):
        """name -> ratio for the step since `snapshot()` (appended to `history`);
        inf for a parameter that was exactly zero before the step."""
        if self.before is None:
            raise RuntimeError("UpdateRatios.measure: call snapshot() before the step")
        ratios = {}
        for (name, p), old in zip(self.params, self.before):
            scale = np.linalg.norm(old)
            change = np.linalg.norm(p._data.astype(np.float64) - old)
            ratios[name] = float(change / scale) if scale > 0 else float("inf")
        self.history.append(ratios)
        self.before = None
        return ratios


def update_ratios(optimizer, named_parameters):
    """Take one `optimizer.step()` and return name -> update/weight ratio."""
    tracker = UpdateRatios(named_parameters)
    tracker.snapshot()
    with no_grad():
        optimizer.step()
    return tracker.measure()

"""A figure that displays itself in a notebook.

minigrad draws on matplotlib Figures without pyplot (no window, the caller's
backend left alone), and a bare Figure shows in Jupyter only when pyplot's inline
backend happens to be active. `InlineFigure` is a Figure that also has
`_repr_png_`, which IPython calls whenever the figure is the value of a cell.
Imported where a figure is drawn, so that importing minigrad does not import
matplotlib.
"""

import io

from matplotlib.figure import Figure

__all__ = ["InlineFigure"]


class InlineFigure(Figure):
    """A matplotlib Figure that displays inline when a notebook cell returns it."""

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

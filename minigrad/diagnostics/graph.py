"""Drawing the computation graph behind a tensor.

    text = draw_graph(loss)                 # a readable tree, always available
    draw_graph(loss, "graph.svg")          # an SVG/PNG through graphviz's `dot`
    draw_graph(loss)                        # as a notebook cell's value: drawn inline

Each op node shows its name and output shape and dtype; each leaf its name (if
it has one), shape, dtype and, after backward, the norm of its gradient. The
graph stays drawable after backward (only the saved buffers are freed).
"""

import html
import shutil
import subprocess

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["draw_graph", "graph_text", "graph_dot", "GraphDrawing"]


def _describe(vertex, names):
    if isinstance(vertex, Tensor):
        label = names.get(id(vertex)) or vertex.name or "leaf"
        text = f"{label} {vertex.shape} {vertex.dtype}"
        if vertex.grad is not None:
            text += f"  |grad|={float(np.linalg.norm(vertex.grad._data)):.4g}"
        return text
    shape, dtype = getattr(vertex, "output_meta", ("?", "?"))
    return f"{vertex.name()} -> {shape} {dtype}"


def _children(vertex):
    if isinstance(vertex, Tensor):
        return []
    return [edge for edge in vertex.next_edges if edge is not None]


def _root_vertex(tensor):
    return tensor.grad_fn if tensor.grad_fn is not None else tensor


def graph_text(tensor, names=None):
    """The graph as an indented tree; a vertex reached twice is printed once."""
    names = {id(t): n for n, t in (names or {}).items()}
    lines, seen = [], set()
    stack = [(_root_vertex(tensor), "", "", True)]
    while stack:
        vertex, prefix, branch, _ = stack.pop()
        if id(vertex) in seen:
            lines.append(f"{prefix}{branch}{_describe(vertex, names)}  (shared, see above)")
            continue
        seen.add(id(vertex))
        lines.append(f"{prefix}{branch}{_describe(vertex, names)}")
        children = _children(vertex)
        child_prefix = prefix + ("" if not branch else ("    " if branch == "└── " else "│   "))
        for index in reversed(range(len(children))):
            last = index == len(children) - 1
            stack.append((children[index], child_prefix, "└── " if last else "├── ", last))
    return "\n".join(lines)


def graph_dot(tensor, names=None):
    """Graphviz DOT source: ops as boxes, leaves as ellipses, edges point forward."""
    names = {id(t): n for n, t in (names or {}).items()}
    lines = ["digraph minigrad {", "  rankdir=BT;", '  node [fontname="Helvetica"];']
    seen, stack = set(), [_root_vertex(tensor)]
    while stack:
        vertex = stack.pop()
        if id(vertex) in seen:
            continue
        seen.add(id(vertex))
        shape = "ellipse" if isinstance(vertex, Tensor) else "box"
        label = _describe(vertex, names).replace('"', "'")
        lines.append(f'  v{id(vertex)} [label="{label}", shape={shape}];')
        for child in _children(vertex):
            lines.append(f"  v{id(child)} -> v{id(vertex)};")
            stack.append(child)
    lines.append("}")
    return "\n".join(lines)


class GraphDrawing(str):
    """The text tree of a graph (a str, so it prints and compares as one) that a
    notebook displays as graphviz's SVG when the `dot` program is installed, and
    as the text tree with the reason otherwise."""

    def __new__(cls, text, dot_source):
        drawing = super().__new__(cls, text)
        drawing.dot_source = dot_source
        return drawing

    @property
    def text(self):
        return str(self)

    def svg(self):
        """The graph as SVG through `dot`, or None when graphviz is not installed."""
        dot = shutil.which("dot")
        if dot is None:
            return None
        return subprocess.run([dot, "-Tsvg"], input=self.dot_source, capture_output=True,
                              text=True, check=True, timeout=60).stdout

    def _repr_svg_(self):
        return self.svg()

    def _repr_html_(self):
        if shutil.which("dot"):
            return None  # the SVG above is the richer picture
        reason = ("graphviz's <code>dot</code> program is not installed "
                  "(<code>apt-get install graphviz</code>), so here is the text tree")
        return f"<p>{reason}:</p><pre>{html.escape(self.text)}</pre>"

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.text)


def draw_graph(tensor, path=None, names=None):
    """Render the graph that produced `tensor`.

    path: None returns the text tree. A path ending in .svg/.png/.pdf is rendered
          with graphviz's `dot` when it is installed (apt-get install graphviz);
          otherwise, and for any other suffix, the text tree is written there.
    names: optional {name: tensor} to label leaves (e.g. dict(model.named_parameters())).
    Returns the text tree (a GraphDrawing: a str that a notebook draws), or the
    path written.
    """
    text = graph_text(tensor, names)
    if path is None:
        return GraphDrawing(text, graph_dot(tensor, names))
    path = str(path)
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    dot = shutil.which("dot")
    if suffix in ("svg", "png", "pdf") and dot:
        subprocess.run([dot, f"-T{suffix}", "-o", path], input=graph_dot(tensor, names),
                       text=True, check=True, timeout=60)
        return path
    if suffix in ("svg", "png", "pdf"):
        path = path.rsplit(".", 1)[0] + ".txt"  # no graphviz: fall back to text
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    return path

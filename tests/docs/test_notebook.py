"""minigrad in Jupyter: what a notebook cell returns displays itself, and a lecture
notebook made by the gallery runs in a real kernel (nbclient + ipykernel)."""

import json
import shutil

import numpy as np
import pytest

import minigrad as mg
from minigrad.diagnostics import draw_graph, plot_histograms, tensor_stats
from minigrad.diagnostics.graph import GraphDrawing
from minigrad.train import History
from tests.docs.conftest import DOCS, ROOT

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _small_graph():
    w = mg.tensor(np.ones((2, 3)), dtype=np.float64, requires_grad=True)
    loss = (w.tanh() * 2).sum()
    return w, loss


def test_draw_graph_is_still_the_text_tree():
    w, loss = _small_graph()
    drawing = draw_graph(loss, names={"w": w})
    assert isinstance(drawing, str) and drawing == drawing.text
    assert "w (2, 3)" in drawing and "Tanh" in drawing


def test_draw_graph_displays_svg_with_dot(monkeypatch):
    if shutil.which("dot") is None:
        pytest.skip("graphviz's dot is not installed")
    _, loss = _small_graph()
    drawing = draw_graph(loss)
    svg = drawing._repr_svg_()
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "Tanh" in svg
    assert drawing._repr_html_() is None  # the SVG is the richer picture


def test_draw_graph_without_dot_shows_the_tree_and_says_why(monkeypatch):
    _, loss = _small_graph()
    drawing = draw_graph(loss)
    monkeypatch.setattr("minigrad.diagnostics.graph.shutil.which", lambda name: None)
    assert drawing._repr_svg_() is None
    html = drawing._repr_html_()
    assert "not installed" in html and "Tanh" in html and html.count("<pre>") == 1


def test_graph_drawing_pretty_prints_as_the_tree():
    pretty = pytest.importorskip("IPython.lib.pretty", reason="the dev extra").pretty

    _, loss = _small_graph()
    drawing = draw_graph(loss)
    assert isinstance(drawing, GraphDrawing) and pretty(drawing) == drawing.text


def test_figures_display_inline():
    history = History([{"epoch": 1, "lr": 0.1, "train_loss": 2.0, "val_loss": 2.1},
                       {"epoch": 2, "lr": 0.05, "train_loss": 1.0, "val_loss": 1.4}])
    stats = tensor_stats(np.random.default_rng(0).standard_normal(100), name="a")
    for figure in (history.figure(), plot_histograms([[stats]])):
        assert figure._repr_png_().startswith(PNG_MAGIC)


def test_progress_bars_show_in_a_kernel_by_default(monkeypatch):
    import sys
    import types

    from minigrad.train.trainer import _progress_enabled

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert _progress_enabled(None) is False  # a log file, no person watching
    kernel_shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython",
                        types.SimpleNamespace(get_ipython=lambda: kernel_shell))
    assert _progress_enabled(None) is True  # Jupyter: the bars are widgets there
    assert _progress_enabled(False) is False


def test_progress_bars_are_tqdm_auto():
    from minigrad.train import trainer

    with open(trainer.__file__, encoding="utf-8") as handle:
        source = handle.read()
    assert "from tqdm.auto import tqdm" in source


def _lecture_notebook(name, tmp_path):
    """The gallery's notebook for one lecture as JSON text (built, or generated here)."""
    built = DOCS / "lectures" / f"{name}.ipynb"
    if built.exists():
        return built.read_text(encoding="utf-8")
    gallery = pytest.importorskip("sphinx_gallery.notebook", reason="the docs extra")
    from lecture_gallery import FIRST_NOTEBOOK_CELL, LAST_NOTEBOOK_CELL
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    _, blocks = split_code_and_text_blocks(str(ROOT / "lectures" / f"{name}.py"))
    conf = {"first_notebook_cell": FIRST_NOTEBOOK_CELL, "last_notebook_cell": LAST_NOTEBOOK_CELL,
            "promote_jupyter_magic": False, "pypandoc": False, "notebook_images": False,
            "notebook_extensions": {".ipynb"}}
    return json.dumps(gallery.jupyter_notebook(blocks, conf, str(tmp_path)))


def test_a_lecture_notebook_runs_in_a_kernel(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="the dev extra")
    nbclient = pytest.importorskip("nbclient", reason="the dev extra")
    pytest.importorskip("ipykernel", reason="the dev extra")
    name = "gradcheck_walkthrough"
    notebook = nbformat.reads(_lecture_notebook(name, tmp_path), as_version=4)
    shutil.copy(ROOT / "lectures" / "_common.py", tmp_path)  # the lectures' shared plumbing
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # this checkout's minigrad in the kernel
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code"
               for out in cell.get("outputs", [])]
    printed = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert "gradcheck" in printed.lower()
    assert images, "the notebook showed no figure"
    assert list((tmp_path / "lecture_output").glob("*.png"))

"""Sphinx configuration for minigrad's site: `make docs` builds it into docs/_build/html.

The build is strict (`-W --keep-going`, nitpicky) and offline: the theme (furo)
ships its own CSS and JS, no page loads anything from the network (checked when
the build finishes, offline_check.py), and the lectures run here, in their fast
mode, as the gallery (lecture_gallery.py).
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))
# The lectures' matrices are small: one BLAS thread runs them fastest on a busy machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

from lecture_gallery import FIRST_NOTEBOOK_CELL, LAST_NOTEBOOK_CELL  # noqa: E402

import minigrad  # noqa: E402

project = "minigrad"
author = "the minigrad authors"
copyright = "minigrad authors, MIT licence"
release = version = getattr(minigrad, "__version__", "0.1.0")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "minigrad_api",
    "lecture_gallery",
    "plain_docstrings",
    "offline_check",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "lectures/*.md5", "lectures/*.json", "lectures/*.zip"]
root_doc = "index"
highlight_language = "none"  # literal blocks are plain-text formulas; code says its language
nitpicky = True
# Docstrings name NumPy's and Python's types in prose ("np.ndarray", "array-like");
# without intersphinx (no network) those are not link targets here.
nitpick_ignore_regex = [
    ("py:class", r"(np|numpy)\..*"),
    ("py:class", r"array[-_ ]like|optional|callable|iterable|.*ndarray.*"),
    # napoleon reads "name (words): ..." as a type; in these docstrings the words in
    # parentheses are prose ("stride (default: kernel_size)"), not a class
    ("py:class", r"(?!minigrad\.)[^A-Z].*|.*[\s\"'=,].*"),
]

autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the docstrings give shapes and types in words
autodoc_inherit_docstrings = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_preprocess_types = False

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "minigrad"
html_static_path = []
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "lectures"),
    "gallery_dirs": "lectures",
    "filename_pattern": r"/[a-z][a-z_]+\.py$",  # run every lecture, not _common.py
    "ignore_pattern": r"(__init__|_common)\.py$",
    "within_subsection_order": "lecture_gallery.LectureNumberOrder",
    "reset_argv": "lecture_gallery.lecture_argv",
    "image_scrapers": ("lecture_gallery.scrape_lecture_figures",),
    "first_notebook_cell": FIRST_NOTEBOOK_CELL,
    "last_notebook_cell": LAST_NOTEBOOK_CELL,
    "download_all_examples": False,
    "write_computation_times": False,  # its page loads jQuery and DataTables from CDNs
    "remove_config_comments": True,
    "show_memory": False,
    "show_signature": False,
    "capture_repr": (),
    "abort_on_example_error": True,
    "line_numbers": False,
    "plot_gallery": "True",
}

# "--full" and "--out" in the lectures' text are command-line options, not dashes
smartquotes = False

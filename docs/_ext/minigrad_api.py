"""The `api-names` directive: one list of names per reference page.

    .. api-names:: minigrad.nn

       Linear
       Conv2d

documents each listed name that minigrad has (autoclass with its members,
autofunction, or a one-line entry for a dtype or a plain object) and leaves out,
with a note in the build log, a name that is not there yet. So a name that lands
later needs no edit here when it is already listed, and adding one is one line.
tests/docs/test_api_coverage.py checks the lists against /work/shared/API.md.
"""

import numpy as np
from api_names import listed_names, resolve
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)


_FIRST_NAMES = {}


def first_names(docs_dir):
    """{id(class): its first listed name}: a class listed twice (minigrad.data.Dataset,
    minigrad.utils.data.Dataset) is documented once, the other names point to it."""
    if not _FIRST_NAMES:
        for dotted in listed_names(docs_dir):
            obj = resolve(dotted)
            if isinstance(obj, type):
                _FIRST_NAMES.setdefault(id(obj), dotted)
    return _FIRST_NAMES


def _entry(dotted, obj, first_name):
    """The reST lines that document one object under its public dotted name."""
    module, name = dotted.rsplit(".", 1)
    if isinstance(obj, type) and issubclass(obj, np.generic):
        return [f".. py:data:: {name}", f"   :module: {module}", "",
                f"   NumPy's ``{obj.__name__}`` scalar type, accepted wherever a dtype is.", ""]
    if isinstance(obj, type) and first_name not in (None, dotted):
        return [f".. py:class:: {name}", f"   :module: {module}", "",
                f"   The same class as :class:`{first_name}`.", ""]
    if isinstance(obj, type):
        return [f".. autoclass:: {dotted}", "   :members:", "   :undoc-members:", ""]
    if callable(obj):
        return [f".. autofunction:: {dotted}", ""]
    if isinstance(obj, (dict, list, tuple, set, str, int, float)):
        summary = ", ".join(map(str, obj)) if isinstance(obj, (dict, list, tuple, set)) else obj
        return [f".. py:data:: {name}", f"   :module: {module}", "",
                f"   A ``{type(obj).__name__}``: ``{summary}``.", ""]
    # an object such as mg.cuda: its docstring, then its public methods
    methods = [m for m in dir(obj) if not m.startswith("_") and callable(getattr(obj, m))]
    return [f".. autodata:: {dotted}", "   :no-value:", ""] + [
        line for m in methods for line in (f".. autofunction:: {dotted}.{m}", "")]


class ApiNames(SphinxDirective):
    required_arguments = 1
    has_content = True

    def run(self):
        module = self.arguments[0]
        lines, pending = [], []
        first = first_names(self.env.srcdir)
        for name in (line.strip() for line in self.content):
            if not name:
                continue
            obj = resolve(f"{module}.{name}")
            if obj is None:
                pending.append(name)
                continue
            lines += _entry(f"{module}.{name}", obj, first.get(id(obj)))
        if pending:
            logger.info("api-names: %s has no %s yet; listed, documented once it lands",
                        module, ", ".join(pending))
        return self.parse_text_to_nodes("\n".join(lines)) if lines else []


def _always_reread_api_pages(app, env, added, changed, removed):
    """What a list documents depends on minigrad's code, which Sphinx does not track:
    read the reference pages again on every build (a few seconds)."""
    return [name for name in env.found_docs if name.startswith("api/")]


def setup(app):
    app.add_directive("api-names", ApiNames)
    app.connect("env-get-outdated", _always_reread_api_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

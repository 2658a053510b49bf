"""What docs/reading_the_engine.md ("Where things go") promises, checked mechanically.

- Every name a public namespace exports in `__all__` exists there.
- Every op (a Function in OP_REGISTRY defined in minigrad/ops/) is reached from a
  public function: some public function, public class or Tensor method refers to
  it, directly or through private helpers and other ops. An op nothing reaches is
  either dead code or a missing export.
- The renamed modules keep their old public paths (PyTorch's utils.checkpoint).
"""

import ast
import importlib
import pathlib

import pytest

import minigrad
from minigrad.autograd import OP_REGISTRY

PACKAGE = pathlib.Path(minigrad.__file__).parent
NAMESPACES = ["minigrad", "minigrad.nn", "minigrad.nn.functional", "minigrad.nn.init",
              "minigrad.optim", "minigrad.optim.lr_scheduler", "minigrad.utils",
              "minigrad.train", "minigrad.data", "minigrad.diagnostics", "minigrad.testing"]
# Ops that no public function applies, and why that is right.
NOT_REACHED_ON_PURPOSE = {}


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_exported_name_exists(namespace):
    module = importlib.import_module(namespace)
    exported = getattr(module, "__all__", None)
    assert exported, f"{namespace} has no __all__"
    missing = [name for name in exported if not hasattr(module, name)]
    assert not missing, f"{namespace}.__all__ lists names it does not have: {missing}"
    assert len(set(exported)) == len(exported), f"{namespace}.__all__ repeats a name"


def _definitions():
    """Top-level definitions of every minigrad module: name -> [(module, referenced names)].

    A class counts as one definition (its methods' references are its own), so an
    op used in another op's backward is referred to by that op."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exported = _literal_all(tree)
        for node in tree.body:
            for name in _defined_names(node):
                referenced = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
                             {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
                public = not name.startswith("_") and (exported is None or name in exported)
                found.setdefault(name, []).append((module, public, referenced - {name}))
    return found


def _literal_all(tree):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__"
                                                for t in node.targets):
            try:
                return set(ast.literal_eval(node.value))
            except ValueError:
                return None
    return None


def _defined_names(node):
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    return []


def _is_reached(op_name, definitions):
    """Walk back from the op through whatever refers to it until a public root."""
    seen, frontier = {op_name}, [op_name]
    while frontier:
        target = frontier.pop()
        for name, places in definitions.items():
            for _, public, referenced in places:
                if target not in referenced or name in seen:
                    continue
                if public and name not in OP_REGISTRY:
                    return True
                seen.add(name)
                frontier.append(name)
    return False


def test_every_op_is_reached_from_a_public_function():
    definitions = _definitions()
    ops = sorted(name for name, cls in OP_REGISTRY.items()
                 if cls.__module__.startswith("minigrad.ops."))
    assert len(ops) > 30, "the registry should hold the core ops"
    unreached = [name for name in ops
                 if name not in NOT_REACHED_ON_PURPOSE and not _is_reached(name, definitions)]
    assert not unreached, f"ops no public function reaches: {unreached}"
    stale = [name for name in NOT_REACHED_ON_PURPOSE if name not in OP_REGISTRY]
    assert not stale, f"NOT_REACHED_ON_PURPOSE names ops that no longer exist: {stale}"


def test_the_reachability_walk_can_fail():
    definitions = {"Lonely": [("minigrad.ops.x", True, set())],
                   "_helper": [("minigrad.ops.x", False, {"Hidden"})],
                   "public_fn": [("minigrad.ops.x", True, {"_helper"})]}
    assert not _is_reached("Lonely", definitions)
    assert _is_reached("Hidden", definitions)


def test_renamed_modules_keep_their_public_paths():
    from minigrad.utils import checkpoint as from_utils
    from minigrad.utils.checkpoint import checkpoint, checkpoint_sequential
    from minigrad.utils.recompute import checkpoint as recompute_checkpoint
    from minigrad.utils.recompute import checkpoint_sequential as recompute_sequential

    assert checkpoint is recompute_checkpoint is from_utils is minigrad.utils.checkpoint
    assert checkpoint_sequential is recompute_sequential
    from minigrad.optim import TextbookRMSprop, TextbookSGD
    from minigrad.optim.deep_learning_book import TextbookRMSprop as book_rmsprop
    from minigrad.optim.deep_learning_book import TextbookSGD as book_sgd

    assert (TextbookSGD, TextbookRMSprop) == (book_sgd, book_rmsprop)

"""Run a lecture script in-process, in its fast mode, and hand back its key numbers."""

import importlib.util
import sys
from pathlib import Path

import pytest

import minigrad as mg

LECTURES = Path(__file__).resolve().parents[2] / "lectures"


def load_lecture(name):
    """Import lectures/<name>.py as module `lecture_<name>` (its _common import works)."""
    if str(LECTURES) not in sys.path:
        sys.path.insert(0, str(LECTURES))
    spec = importlib.util.spec_from_file_location(f"lecture_{name}", LECTURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run_lecture(tmp_path, capsys):
    """run_lecture(name) -> (results dict, printed text, output dir)."""
    def run(name):
        module = load_lecture(name)
        mg.manual_seed(0)
        results = module.run(tmp_path, full=False)
        return results, capsys.readouterr().out, tmp_path
    return run

"""Run a lecture script the way a lecturer does, `python lectures/NAME.py --out DIR`,
in its fast mode, and hand back the key numbers it wrote to DIR/NAME.json."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LECTURES = Path(__file__).resolve().parents[2] / "lectures"


@pytest.fixture(scope="session")
def run_lecture(tmp_path_factory):
    """run_lecture(name) -> (results from the JSON, printed text, output dir); each
    script runs once per session however many tests read its numbers."""
    cache = {}

    def run(name):
        if name in cache:
            return cache[name]
        tmp_path = tmp_path_factory.mktemp(name)
        # one BLAS thread: the matrices are small, and on a loaded machine OpenBLAS's
        # threads slow these scripts down several times over
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
        completed = subprocess.run(
            [sys.executable, str(LECTURES / f"{name}.py"), "--out", str(tmp_path)],
            capture_output=True, text=True, env=env, timeout=300)
        assert completed.returncode == 0, completed.stderr[-3000:]
        results = json.loads((tmp_path / f"{name}.json").read_text())
        cache[name] = results, completed.stdout, tmp_path
        return cache[name]
    return run

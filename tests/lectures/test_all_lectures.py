"""Every lecture script has its key-number test, and runs at lecture scale (--full)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LECTURES = Path(__file__).resolve().parents[2] / "lectures"
SCRIPTS = sorted(p.stem for p in LECTURES.glob("*.py") if not p.stem.startswith("_"))


def test_fourteen_lectures_each_with_a_test_and_a_readme_entry():
    assert len(SCRIPTS) == 14
    readme = (LECTURES / "README.md").read_text()
    for name in SCRIPTS:
        assert (Path(__file__).parent / f"test_{name}.py").exists(), name
        assert f"`{name}.py`" in readme, name


@pytest.mark.slow
@pytest.mark.parametrize("name", SCRIPTS)
def test_full_size_run(name, tmp_path):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    completed = subprocess.run([sys.executable, str(LECTURES / f"{name}.py"), "--out",
                                str(tmp_path), "--full"], capture_output=True, text=True,
                               env=env, timeout=900)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert json.loads((tmp_path / f"{name}.json").read_text())
    assert list(tmp_path.glob("*.png"))

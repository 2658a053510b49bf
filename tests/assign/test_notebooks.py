"""Each student notebook runs top to bottom on the reference solution, and on the
student version stops at the first stub with that task's NotImplementedError."""

import os
import shutil

import pytest

from minigrad.assign.build import COURSE

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

MODULES = {"autodiff": "autodiff.py", "layers": "layers.py",
           "optimisation": "optimisers.py", "practice": "practice.py"}
FIRST_TASK = {"autodiff": "1.1", "layers": "2.1", "optimisation": "3.1", "practice": "4.1"}


def run(folder):
    notebook = nbformat.read(os.path.join(folder, "notebook.ipynb"), as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": folder}})
    client.execute()
    return notebook


def check(course, tmp_path, name):
    student = os.path.join(course["out"], name, "student")
    solved = tmp_path / "solved"
    shutil.copytree(student, solved)
    shutil.copy(os.path.join(course["out"], name, "autograder", "reference", MODULES[name]),
                solved)
    executed = run(str(solved))
    assert all(c.get("outputs") is not None for c in executed.cells if c.cell_type == "code")
    with pytest.raises(nbclient.exceptions.CellExecutionError) as stopped:
        run(student)
    assert "NotImplementedError" in str(stopped.value)
    assert f"Task {FIRST_TASK[name]}:" in str(stopped.value)


@pytest.fixture(autouse=True)
def kernel_sees_this_minigrad(monkeypatch):
    """The kernel imports the minigrad under test, not whichever one is installed."""
    import minigrad

    root = os.path.dirname(os.path.dirname(os.path.abspath(minigrad.__file__)))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))


def test_autodiff_notebook(course, tmp_path):
    check(course, tmp_path, "autodiff")


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in COURSE if n != "autodiff"])
def test_other_notebooks(course, tmp_path, name):
    check(course, tmp_path, name)

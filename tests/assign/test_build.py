"""minigrad assign: the course builds, checks itself, and leaks nothing."""

import os
import re
import zipfile

import pytest

from minigrad.assign.build import COURSE, build
from minigrad.assign.spec import AssignmentError


def test_course_builds_with_passing_self_check(course):
    for name in COURSE:
        rows, _ = course["results"][name]["check"]
        assert rows and all(ok for _, _, _, ok, _ in rows), f"{name}: {rows}"
        assert any(what.startswith("bug:") for _, what, _, _, _ in rows), name
    assert "NOT CAUGHT" not in course["log"]
    for name in COURSE:
        assert f"self-check of Assignment {COURSE.index(name) + 1}" in course["log"]


def test_student_version_has_stubs_and_no_solution(course):
    folder = os.path.join(course["out"], "layers", "student")
    with open(os.path.join(folder, "layers.py"), encoding="utf-8") as handle:
        text = handle.read()
    assert "### BEGIN SOLUTION" not in text
    assert "cols = im2col(x, kh, kw, stride, padding)" not in text
    assert text.count('raise NotImplementedError("Task 2.3: conv2d forward and backward")') == 2
    assert '"""Max over non-overlapping k x k windows' in text      # docstrings unchanged
    with open(os.path.join(folder, "tests", "test_layers.py"), encoding="utf-8") as handle:
        public = handle.read()
    assert "test_max_pool_ties_go_to_the_first_maximum" not in public
    assert "test_max_pool_forward_and_gradcheck" in public
    with open(os.path.join(folder, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    assert "python -m minigrad grade ." in readme and "| 2.3 | conv2d forward" in readme
    assert os.path.exists(os.path.join(folder, "notebook.ipynb"))


def test_gradescope_zip_layout(course):
    with zipfile.ZipFile(os.path.join(course["out"], "optimisation", "gradescope.zip")) as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", "autograder/tasks.json",
                "autograder/tests/test_optimisers.py",
                "autograder/reference/optimisers.py"} <= names
        assert any(re.match(r"minigrad-.*\.whl$", n) for n in names)
        assert z.getinfo("run_autograder").external_attr >> 16 & 0o111


def write_assignment(root, module_text, test_text, toml_extra=""):
    os.makedirs(os.path.join(root, "tests"), exist_ok=True)
    with open(os.path.join(root, "mod.py"), "w") as handle:
        handle.write(module_text)
    with open(os.path.join(root, "tests", "test_mod.py"), "w") as handle:
        handle.write(test_text)
    with open(os.path.join(root, "assignment.toml"), "w") as handle:
        handle.write('title = "T"\nmodules = ["mod.py"]\ntests = ["tests/test_mod.py"]\n'
                     '[[tasks]]\nid = "1.1"\ntitle = "double"\npoints = 2\n'
                     'functions = ["double"]\n' + toml_extra)


TESTS = ("import mod\nfrom minigrad.assign.checks import task\n\n"
         "@task('1.1')\ndef test_double():\n    assert mod.double(2) == 4, 'double(2)'\n")
GOOD = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"


@pytest.mark.parametrize("module, message", [
    ("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n", r"mod\.py:2: .*never closed"),
    ("def double(x):\n    return 2 * x\n    ### END SOLUTION\n", r"mod\.py:3: .*without a BEGIN"),
    ("def double(x):\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 2 * x\n"
     "    ### END SOLUTION\n", r"mod\.py:3: .*cannot nest"),
    ("def double(x):\n    ### BEGIN HIDDEN TESTS\n    return 2 * x\n    ### END HIDDEN TESTS\n",
     r"mod\.py:2: .*not allowed in this file"),
    ("def double(x):\n    return 2 * x  ### BEGIN SOLUTION\n", r"mod\.py:2: .*alone on its line"),
    ("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n  ### END SOLUTION\n",
     r"mod\.py:4: .*indented differently"),
    ("### BEGIN SOLUTION\nY = 1\n### END SOLUTION\n" + "def double(x):\n    return 2 * x\n",
     r"mod\.py:1: .*module level"),
])
def test_bad_markers_stop_the_build_with_file_and_line(tmp_path, module, message):
    write_assignment(str(tmp_path / "src"), module, TESTS)
    with pytest.raises(AssignmentError, match=message):
        build(str(tmp_path / "src"), str(tmp_path / "dist"), wheel=False, check=False)


def test_self_check_refuses_an_uncaught_bug(tmp_path):
    bug = ('[[bugs]]\ntask = "1.1"\ndescription = "harmless"\nfile = "mod.py"\n'
           'find = "return 2 * x"\nreplace = "return x + x"\n')
    write_assignment(str(tmp_path / "src"), GOOD, TESTS, bug)
    with pytest.raises(AssignmentError, match="self-check failed.*harmless"):
        build(str(tmp_path / "src"), str(tmp_path / "dist"), wheel=False, log=lambda s: None)


def test_leak_check_catches_a_solution_line_in_student_files(tmp_path):
    from minigrad.assign.build import check_no_leak

    student = tmp_path / "student"
    student.mkdir()
    (student / "mod.py").write_text("def double(x):\n    return 2 * x\n")
    with pytest.raises(AssignmentError, match="leak.*return 2 \\* x"):
        check_no_leak(str(student), ["    return 2 * x"], ["def double(x):"])
    check_no_leak(str(student), ["    return 2 * x"], ["def double(x):\n    return 2 * x"])


NOTEBOOK = '''# %% [markdown]
# ## Task 1.1: double it

# %%
import mod

# %%
def triple(x):
    ### BEGIN SOLUTION
    return x + x + x
    ### END SOLUTION

# %%
print(mod.double(3))
### BEGIN HIDDEN TESTS
assert mod.double(5) == 10
### END HIDDEN TESTS
'''


def test_notebook_cells_are_stubbed_and_hidden_blocks_dropped(tmp_path):
    import nbformat

    src = tmp_path / "src"
    write_assignment(str(src), GOOD, TESTS)
    (src / "notebook.py").write_text(NOTEBOOK)
    toml = (src / "assignment.toml").read_text()
    (src / "assignment.toml").write_text('notebook = "notebook.py"\n' + toml)
    build(str(src), str(tmp_path / "dist"), wheel=False, log=lambda s: None)
    student = nbformat.read(str(tmp_path / "dist" / "student" / "notebook.ipynb"), as_version=4)
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    assert 'raise NotImplementedError("Task 1.1: double")' in code
    assert "x + x + x" not in code and "double(5)" not in code and "print(mod.double(3))" in code
    reference = nbformat.read(str(tmp_path / "dist" / "autograder" / "reference" /
                                  "notebook.ipynb"), as_version=4)
    assert "return x + x + x" in "\n".join(c.source for c in reference.cells)
    assert "### BEGIN" not in "\n".join(c.source for c in reference.cells)
    with open(tmp_path / "dist" / "student" / "mod.py") as handle:
        assert "2 * x" not in handle.read()


def test_notebook_solution_before_any_task_heading_is_refused(tmp_path):
    src = tmp_path / "src"
    write_assignment(str(src), GOOD, TESTS)
    (src / "notebook.py").write_text(NOTEBOOK.replace("## Task 1.1: double it", "## Intro"))
    toml = (src / "assignment.toml").read_text()
    (src / "assignment.toml").write_text('notebook = "notebook.py"\n' + toml)
    with pytest.raises(AssignmentError, match=r"notebook\.py \(cell 3\): a SOLUTION block before"):
        build(str(src), str(tmp_path / "dist"), wheel=False, check=False)

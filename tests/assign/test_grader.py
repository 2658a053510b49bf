"""minigrad grade: isolation, bad submissions, cheating, reports and results.json."""

import os
import shutil

import pytest

from minigrad.assign.grader import grade


def autograder(course):
    return os.path.join(course["out"], "autodiff", "autograder")


def submission(tmp_path, course, edit=None, name="autodiff.py"):
    """The reference autodiff.py, with `edit(text) -> text` applied."""
    folder = tmp_path / "submission"
    folder.mkdir()
    with open(os.path.join(autograder(course), "reference", "autodiff.py")) as handle:
        text = handle.read()
    (folder / name).write_text(edit(text) if edit else text)
    return str(folder)


def replace_function(text, name, new_body):
    """Replace the body of top-level `def name` (up to the next top-level line)."""
    start = text.index(f"\ndef {name}(")
    end = text.index("\n\n\n", start)
    return text[:start] + f"\ndef {name}{new_body}" + text[end:]


def scores(report):
    return {r.task["id"]: r.score for r in report.results}


def test_reference_full_marks_and_valid_results_json(tmp_path, course, validate):
    path = tmp_path / "results.json"
    report = grade(submission(tmp_path, course), autograder(course), str(path))
    assert report.score == report.max_score == 50
    results = validate(path)
    assert results["score"] == 50 and len(results["tests"]) == 5
    assert {t["number"] for t in results["tests"]} == {"1.1", "1.2", "1.3", "1.4", "1.5"}


def test_syntax_error_costs_only_its_task(tmp_path, course, validate):
    edit = lambda t: t.replace("lead = grad.ndim - len(shape)", "lead = grad.ndim - len(shape")  # noqa: E731
    path = tmp_path / "r.json"
    report = grade(submission(tmp_path, course, edit), autograder(course), str(path))
    got = scores(report)
    assert got["1.2"] == 0 and all(got[t] == 10 for t in ("1.1", "1.3", "1.4", "1.5"))
    assert "syntax error in autodiff.py line" in report.by_task()["1.2"].problem
    validate(path)


def test_results_json_does_not_reveal_hidden_tests(tmp_path, course, validate):
    # the tie-breaking test of 2.4 is hidden: Gradescope's output says only that one failed
    layers = os.path.join(course["out"], "layers", "autograder")
    folder = tmp_path / "layers"
    folder.mkdir()
    with open(os.path.join(layers, "reference", "layers.py")) as handle:
        text = handle.read()
    (folder / "layers.py").write_text(text.replace(
        "mask = np.arange(k * k) == first[..., None]",
        "mask = windows == windows.max(axis=-1, keepdims=True)"))
    path = tmp_path / "results.json"
    report = grade(str(folder), layers, str(path), tasks=["2.4"])
    assert "equal values" in report.text()                      # the instructor sees it
    results = validate(path)
    assert "equal values" not in results["output"] + results["tests"][0]["output"]
    assert "1 hidden tests failed" in results["tests"][0]["output"]


def test_broken_task_does_not_fail_a_task_that_uses_it(tmp_path, course):
    # Conv2d (2.3) and the CNN (2.7) call im2col (2.2): with isolation they call the
    # reference's while they are graded, so only 2.2 loses its points
    layers = os.path.join(course["out"], "layers", "autograder")
    folder = tmp_path / "layers"
    folder.mkdir()
    with open(os.path.join(layers, "reference", "layers.py")) as handle:
        text = handle.read()
    (folder / "layers.py").write_text(replace_function(
        text, "im2col", "(x, kh, kw, stride, padding):\n    return None"))
    got = scores(grade(str(folder), layers, tasks=["2.2", "2.3"]))
    assert got == {"2.2": 0, "2.3": 10}


def test_exception_at_import_and_missing_function(tmp_path, course):
    def edit(text):
        text = text.replace("import minigrad as mg\n", "import minigrad as mg\n"
                            "raise RuntimeError('boom at import')\n", 1)
        return replace_function(text, "softmax", "_renamed(x):\n    return x")
    report = grade(submission(tmp_path, course, edit), autograder(course))
    assert report.by_task()["1.4"].score == 0
    assert "has no softmax" in report.by_task()["1.4"].problem
    assert any("boom at import" in note for note in report.by_task()["1.1"].notes)
    assert report.by_task()["1.1"].score == 10


def test_missing_file_and_notebook_instead(tmp_path, course):
    report = grade(submission(tmp_path, course, name="autodiff.ipynb"), autograder(course))
    assert report.score == 0
    assert "has autodiff.ipynb instead" in report.results[0].problem
    empty = tmp_path / "empty"
    empty.mkdir()
    report = grade(str(empty), autograder(course))
    assert report.score == 0 and "autodiff.py is missing" in report.results[0].problem


@pytest.mark.parametrize("body, message", [
    ("(x):\n    while True:\n        pass", "time limit"),
    ("(x):\n    import os\n    os.abort()", "crashed (SIGABRT)"),
    ("(x):\n    while True:\n        print('x' * 10000)", "more than 1 MB"),
])
def test_loops_crashes_and_floods_cost_one_task(tmp_path, course, body, message):
    import json

    with open(os.path.join(autograder(course), "tasks.json")) as handle:
        table = json.load(handle)
    edit = lambda t: replace_function(t, "softmax", body)  # noqa: E731
    folder = submission(tmp_path, course, edit)
    local = tmp_path / "autograder"
    shutil.copytree(autograder(course), local)
    for task in table["tasks"]:
        task["time_limit"] = 3.0
    (local / "tasks.json").write_text(json.dumps(table))
    report = grade(folder, str(local), tasks=["1.3", "1.4"])
    assert message in report.by_task()["1.4"].problem
    assert report.by_task()["1.3"].score == 10


def test_delegating_to_minigrad_scores_zero(tmp_path, course):
    edit = lambda t: t.replace(  # noqa: E731
        "        shifted = x - x.max(axis=-1, keepdims=True)\n",
        "        return mg.log_softmax(mg.tensor(x), axis=-1).numpy()\n")
    report = grade(submission(tmp_path, course, edit), autograder(course), tasks=["1.4"])
    result = report.by_task()["1.4"]
    assert result.score == 0
    assert "task 1.4 must be written by you, but your code called minigrad's own " \
        "minigrad.ops.reduce." in result.first_failure()


def test_patching_gradcheck_scores_zero(tmp_path, course):
    edit = lambda t: t + "\n\nmg.gradcheck = lambda *args, **kwargs: True\n"  # noqa: E731
    edit_and_break = lambda t: edit(t).replace("return sum_to(grad * y, x.shape)",  # noqa: E731
                                               "return grad * y * 0 + 1")
    report = grade(submission(tmp_path, course, edit_and_break), autograder(course),
                   tasks=["1.2"])
    result = report.by_task()["1.2"]
    assert result.score == 0 and "replaced minigrad.gradcheck" in result.first_failure()


def test_student_mode_counts_hidden_tests_and_never_says_all_passed(tmp_path, course):
    student = os.path.join(course["out"], "autodiff", "student")
    folder = tmp_path / "student"
    shutil.copytree(student, folder)
    shutil.copy(os.path.join(autograder(course), "reference", "autodiff.py"), folder)
    report = grade(str(folder))
    text = report.text()
    assert report.score == report.max_score
    assert "hidden tests exist and were not run" in text and "all tests passed" not in text
    stubs = grade(student)
    assert stubs.score == 0 and "not implemented yet (Task 1.1" in stubs.text()

"""`minigrad assign SRC --out DIST`: one source folder, three products.

    DIST/student/        stubbed modules, notebook.ipynb, public tests, README, tasks.json
    DIST/autograder/     every test (hidden included), the reference solution, tasks.json
    DIST/gradescope.zip  setup.sh, run_autograder, autograder/, a minigrad wheel

The build refuses to finish when a solution or hidden-test line reaches student/,
or when the self-check fails: the reference must score full marks, the stubs 0 on
every task, and each seeded bug must lose points on its own task.
"""

import ast
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor

import minigrad
from minigrad.assign import grader
from minigrad.assign.markers import (
    MarkerError,
    find_blocks,
    remove_markers,
    strip_hidden,
    strip_solutions,
)
from minigrad.assign.spec import AssignmentError, load_assignment

__all__ = ["build", "build_course", "build_wheel", "SelfCheckError", "COURSE_DIR", "COURSE"]

COURSE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "course")
COURSE = ["autodiff", "layers", "optimisation", "practice"]


class SelfCheckError(AssignmentError):
    """The reference, the stubs or a seeded bug did not score as they must."""


# ------------------------------------------------------------------ modules
def _outside(text, blocks):
    """The text with every marked block (markers and body) removed."""
    lines = text.split("\n")
    inside = {n for b in blocks for n in range(b.begin, b.end + 1)}
    return "\n".join(line for n, line in enumerate(lines) if n not in inside)


def _definition_spans(tree):
    """[(first line, last line, qualname)] of every def and class, nested included."""
    spans = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = f"{prefix}{child.name}"
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                spans.append((first, child.end_lineno, qualname))
                visit(child, qualname + ".")
    visit(tree, "")
    return spans


def _owner_of_block(assignment, spans, block, where):
    line = block.begin + 1
    enclosing = [s for s in spans if s[0] <= line <= s[1]]
    for _, _, qualname in sorted(enclosing, key=lambda s: s[0], reverse=True):
        parts = qualname.split(".")
        for size in range(len(parts), 0, -1):
            task = assignment.owner_of(".".join(parts[:size]))
            if task:
                return task
    inside = f"inside {enclosing[-1][2]}" if enclosing else "at module level"
    raise MarkerError(f"{where}:{line}: this SOLUTION block is {inside}, which no task in "
                      f"assignment.toml owns; list the function under a task's functions")


def _process_module(assignment, name):
    where = os.path.join(assignment.root, name)
    with open(where, encoding="utf-8") as handle:
        text = handle.read()
    blocks = find_blocks(text, where, {"SOLUTION"})
    try:
        tree = ast.parse(text, where)
    except SyntaxError as exc:
        raise AssignmentError(f"{where}:{exc.lineno}: the solution does not parse: "
                              f"{exc.msg}") from None
    spans = _definition_spans(tree)
    owners = {id(b): _owner_of_block(assignment, spans, b, where) for b in blocks}

    def task_of(block):
        task = owners[id(block)]
        return task.id, task.title

    top_level = {s[2] for s in spans}
    return {"student": strip_solutions(text, blocks, task_of),
            "reference": remove_markers(text, blocks), "defined": top_level,
            "solution_lines": [line for b in blocks for line in b.body(text.split("\n"))],
            "public": _outside(text, blocks)}


def _qualify_functions(assignment, modules):
    """'Conv2d.backward' -> 'layers:Conv2d.backward', checking it exists exactly once."""
    qualified = {}
    for task in assignment.tasks:
        names = []
        for name in task.functions:
            homes = [m for m, info in modules.items() if name in info["defined"]]
            if len(homes) != 1:
                raise AssignmentError(f"{assignment.root}/assignment.toml: task {task.id} "
                                      f"owns {name}, defined in {len(homes)} of the modules "
                                      f"{list(modules)}; expected exactly one")
            names.append(f"{os.path.splitext(homes[0])[0]}:{name}")
        qualified[task.id] = names
    return qualified


# ------------------------------------------------------------------ tests
def _test_tasks(text, where, blocks):
    """{test name: (task id, hidden)} from the @task("x.y") decorators."""
    tree = ast.parse(text, where)
    hidden_lines = [(b.begin + 1, b.end + 1) for b in blocks if b.kind == "HIDDEN TESTS"]
    found = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test"):
            continue
        task_ids = [d.args[0].value for d in node.decorator_list
                    if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "task"
                    and d.args and isinstance(d.args[0], ast.Constant)]
        if not task_ids:
            raise AssignmentError(f"{where}:{node.lineno}: {node.name} has no @task(\"x.y\") "
                                  f"decorator, so no task would grade it")
        hidden = any(a < node.lineno < b for a, b in hidden_lines)
        found[node.name] = (str(task_ids[0]), hidden)
    return found


def _process_tests(assignment):
    products, tests = {}, {}
    for name in assignment.tests:
        where = os.path.join(assignment.root, name)
        with open(where, encoding="utf-8") as handle:
            text = handle.read()
        blocks = find_blocks(text, where, {"HIDDEN TESTS"})
        for test, (task_id, hidden) in _test_tasks(text, where, blocks).items():
            if test in tests:
                raise AssignmentError(f"{where}: test name {test} is used twice")
            if task_id not in {t.id for t in assignment.tasks}:
                raise AssignmentError(f"{where}: {test} is tagged with task {task_id}, which "
                                      f"assignment.toml does not have")
            tests[test] = (task_id, hidden)
        products[name] = {"student": strip_hidden(text, blocks),
                          "autograder": remove_markers(text, blocks),
                          "hidden_lines": [ln for b in blocks for ln in b.body(text.split("\n"))],
                          "public": _outside(text, blocks)}
    for task in assignment.tasks:
        if not any(t == task.id for t, _ in tests.values()):
            raise AssignmentError(f"{assignment.root}: task {task.id} has no tests")
    return products, tests


# ------------------------------------------------------------------ notebook
def _process_notebook(assignment):
    import jupytext

    where = os.path.join(assignment.root, assignment.notebook)
    notebook = jupytext.read(where, fmt="py:percent")
    student, reference = jupytext.reads(jupytext.writes(notebook, "ipynb"), "ipynb"), notebook
    secret_lines, public, current_task = [], [], None
    student_cells = []
    for index, cell in enumerate(notebook.cells):
        for task in assignment.tasks:
            if cell.cell_type == "markdown" and f"Task {task.id}" in cell.source:
                current_task = task
        if cell.cell_type != "code":
            student_cells.append(student.cells[index])
            public.append(cell.source)
            continue
        label = f"{where} (cell {index + 1})"
        blocks = find_blocks(cell.source, label, {"SOLUTION", "HIDDEN TESTS"})
        lines = cell.source.split("\n")
        secret_lines += [line for b in blocks for line in b.body(lines)]
        public.append(_outside(cell.source, blocks))
        if any(b.kind == "SOLUTION" for b in blocks) and current_task is None:
            raise MarkerError(f"{label}: a SOLUTION block before any markdown cell naming "
                              f"'Task x.y'; the stub would not know its task")
        task = current_task
        text = strip_solutions(strip_hidden(cell.source, blocks),
                               find_blocks(strip_hidden(cell.source, blocks), label,
                                           {"SOLUTION"}),
                               lambda block, t=task: (t.id, t.title))
        student.cells[index].source = text
        reference.cells[index].source = remove_markers(cell.source, blocks)
        if text.strip():
            student_cells.append(student.cells[index])
    student.cells = student_cells
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    student.metadata["kernelspec"] = reference.metadata["kernelspec"] = kernel
    return student, reference, secret_lines, "\n".join(public)


# ------------------------------------------------------------------ leak check
def _student_texts(folder):
    import nbformat

    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if name.endswith(".ipynb"):
                notebook = nbformat.read(path, as_version=4)
                yield path, "\n".join(c.source for c in notebook.cells)
            elif name.endswith((".py", ".md", ".json", ".txt", ".toml")):
                with open(path, encoding="utf-8") as handle:
                    yield path, handle.read()


def check_no_leak(student_dir, secret_lines, source_texts):
    """Fail if a line of a solution or hidden block shows up in student/ (as written on
    disk) more often than the source outside the blocks has it (the scaffolding a
    student legitimately sees)."""
    def counts(texts):
        return collections.Counter(line.strip() for text in texts for line in text.split("\n")
                                   if line.strip())
    allowed = counts(source_texts)
    shown = counts(text for _, text in _student_texts(student_dir))
    for line in {line.strip() for line in secret_lines if line.strip()}:
        if shown[line] > allowed[line]:
            where = next(p for p, text in _student_texts(student_dir)
                         if line in (ln.strip() for ln in text.split("\n")))
            raise AssignmentError(f"leak: the solution/hidden line {line!r} reached {where}; "
                                  f"the build stopped")


# ------------------------------------------------------------------ writing
def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _table(assignment, qualified, tests, include_hidden):
    tasks = []
    for task in assignment.tasks:
        entry = task.as_dict()
        entry["functions"] = qualified[task.id]
        mine = [(n, h) for n, (t, h) in tests.items() if t == task.id]
        entry["public_tests"] = sum(1 for _, h in mine if not h)
        entry["hidden_tests"] = sum(1 for _, h in mine if h)
        tasks.append(entry)
    table = {"title": assignment.title, "modules": assignment.modules,
             "tests": assignment.tests, "tasks": tasks, "hidden_included": include_hidden}
    if include_hidden:
        table["hidden_test_names"] = sorted(n for n, (_, h) in tests.items() if h)
    return table


def _student_readme(assignment, table, notebook_name):
    rows = "\n".join(f"| {t['id']} | {t['title']} | {t['points']:g} | "
                     f"{', '.join(f.split(':')[1] for f in t['functions'])} | "
                     f"{t['public_tests']} public, {t['hidden_tests']} hidden |"
                     for t in table["tasks"])
    total = sum(t["points"] for t in table["tasks"])
    modules = ", ".join(f"`{m}`" for m in assignment.modules)
    return f"""# {assignment.title}

Complete the functions marked `# YOUR CODE HERE` in {modules}: each one raises
`NotImplementedError("Task x.y: ...")` until you write it. Work through
`{notebook_name}` from the top: it calls your functions in task order, so it stops
at the first one you have not written yet.

| task | title | points | what you write | tests |
| --- | --- | --- | --- | --- |
{rows}

Total: {total:g} points.

## Check your work

    python -m minigrad grade .

runs the public tests of every task, each in its own process with its time limit,
and prints the points per task with the first failing check in words. The grader
also runs hidden tests, so passing the public tests is not yet a full score. Use
minigrad's public API; calling minigrad's own version of the function a task asks
you to write (for example `F.conv2d` inside your conv2d) scores 0 on that task.

Submit {modules} unchanged in name (not a notebook).
"""


def _write_products(assignment, out, modules, test_products, tests, notebooks, qualified):
    student, autograder = os.path.join(out, "student"), os.path.join(out, "autograder")
    for folder in (student, autograder):
        if os.path.exists(folder):
            shutil.rmtree(folder)
    for name, info in modules.items():
        _write(os.path.join(student, name), info["student"])
        _write(os.path.join(autograder, "reference", name), info["reference"])
    for name, info in test_products.items():
        _write(os.path.join(student, name), info["student"])
        _write(os.path.join(autograder, name), info["autograder"])
    for name in assignment.data:
        for folder in (student, autograder, os.path.join(autograder, "reference")):
            os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
            shutil.copy(os.path.join(assignment.root, name), os.path.join(folder, name))
    notebook_name = None
    if notebooks:
        import nbformat

        notebook_name = os.path.splitext(os.path.basename(assignment.notebook))[0] + ".ipynb"
        nbformat.write(notebooks[0], os.path.join(student, notebook_name))
        nbformat.write(notebooks[1], os.path.join(autograder, "reference", notebook_name))
    public = _table(assignment, qualified, tests, include_hidden=False)
    _write(os.path.join(student, grader.TABLE_NAME), json.dumps(public, indent=2))
    _write(os.path.join(autograder, grader.TABLE_NAME),
           json.dumps(_table(assignment, qualified, tests, include_hidden=True), indent=2))
    _write(os.path.join(student, "README.md"),
           _student_readme(assignment, public, notebook_name or "the notebook"))
    return student, autograder


# ------------------------------------------------------------------ self-check
def self_check(assignment, student, autograder, log=print):
    """Grade the reference, the stubs and every seeded bug; raise SelfCheckError if one
    does not score as it must. Returns the rows of the table it prints."""
    reference = os.path.join(autograder, "reference")
    full = grader.grade(reference, autograder)
    stubs = grader.grade(student, autograder)
    rows, failures = [], []
    for task in assignment.tasks:
        ref, stub = full.by_task()[task.id], stubs.by_task()[task.id]
        rows.append((task.id, "reference", f"{ref.score:g}/{ref.max_score:g}",
                     ref.score == ref.max_score, ref.first_failure()))
        rows.append((task.id, "stubs", f"{stub.score:g}/{stub.max_score:g}", stub.score == 0,
                     stub.first_failure()))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        rows += pool.map(lambda bug: _check_bug(assignment, bug, reference, autograder),
                         assignment.bugs)
    failures = [r for r in rows if not r[3]]
    seconds = full.seconds + stubs.seconds
    _print_check(assignment, rows, log)
    log(f"grading the reference took {full.seconds:.1f}s, the stubs {stubs.seconds:.1f}s")
    if failures:
        details = "; ".join(f"task {r[0]} {r[1]}: {r[2]} ({r[4] or 'no failure'})"
                            for r in failures)
        raise SelfCheckError(f"{assignment.title}: the self-check failed: {details}")
    return rows, seconds


def _check_bug(assignment, bug, reference, autograder):
    with tempfile.TemporaryDirectory(prefix="minigrad-bug-") as folder:
        for name in assignment.modules:
            shutil.copy(os.path.join(reference, name), os.path.join(folder, name))
        path = os.path.join(folder, bug.file)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        if text.count(bug.find) != 1:
            raise AssignmentError(f"seeded bug {bug.description!r}: {bug.find!r} occurs "
                                  f"{text.count(bug.find)} times in {bug.file}; expected once")
        _write(path, text.replace(bug.find, bug.replace))
        result = grader.grade(folder, autograder, tasks=[bug.task]).by_task()[bug.task]
    caught = result.score < result.max_score
    return (bug.task, f"bug: {bug.description}", f"{result.score:g}/{result.max_score:g}",
            caught, result.first_failure() if caught else "NOT CAUGHT")


def _print_check(assignment, rows, log):
    log(f"self-check of {assignment.title}")
    log(f"  {'task':<6}{'submission':<58}{'score':>9}  ok  first failure")
    for task_id, what, score, ok, message in rows:
        log(f"  {task_id:<6}{what[:57]:<58}{score:>9}  {'yes' if ok else 'NO '} "
            f"{message[:70]}")


# ------------------------------------------------------------------ Gradescope
_SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, in /autograder/source, to build the grading image.
set -euo pipefail
SOURCE="${AUTOGRADER_SOURCE:-/autograder/source}"
PYTHON="${AUTOGRADER_PYTHON:-python3}"
"$PYTHON" -m pip install --quiet "$SOURCE"/minigrad-*.whl
"""

_RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission; it must leave results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-python3}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
"$PYTHON" -m minigrad grade "$ROOT/submission" --autograder "$ROOT/source/autograder" \\
    --json "$ROOT/results/results.json"
"""


def build_wheel(out_dir):
    """A minigrad wheel built offline from this checkout (pip wheel --no-deps)."""
    checkout = os.path.dirname(os.path.dirname(os.path.abspath(minigrad.__file__)))
    if not os.path.isfile(os.path.join(checkout, "pyproject.toml")):
        raise AssignmentError(f"cannot build a minigrad wheel: {checkout} is not a checkout "
                              f"with pyproject.toml; pass --wheel PATH to a minigrad wheel")
    with tempfile.TemporaryDirectory(prefix="minigrad-wheel-") as tree:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc")
        shutil.copytree(os.path.join(checkout, "minigrad"), os.path.join(tree, "minigrad"),
                        ignore=ignore)
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(os.path.join(checkout, name), tree)
        os.makedirs(out_dir, exist_ok=True)
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                   "--no-index", "--quiet", "-w", out_dir, tree]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise AssignmentError(f"pip wheel failed:\n{done.stderr[-2000:]}")
    wheels = [f for f in os.listdir(out_dir) if f.startswith("minigrad-") and f.endswith(".whl")]
    return os.path.join(out_dir, sorted(wheels)[-1])


def write_gradescope_zip(out, autograder, wheel):
    path = os.path.join(out, "gradescope.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", _SETUP), ("run_autograder", _RUN)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            archive.writestr(info, text)
        archive.write(wheel, os.path.basename(wheel))
        for root, _, files in os.walk(autograder):
            for name in sorted(files):
                full = os.path.join(root, name)
                archive.write(full, os.path.join("autograder", os.path.relpath(full, autograder)))
    return path


# ------------------------------------------------------------------ build
def build(source, out, wheel=None, check=True, log=print):
    """Build one assignment; returns {"student", "autograder", "zip", "check"}."""
    assignment = load_assignment(source)
    modules = {name: _process_module(assignment, name) for name in assignment.modules}
    qualified = _qualify_functions(assignment, modules)
    test_products, tests = _process_tests(assignment)
    secrets_, sources = [], []
    for info in modules.values():
        secrets_ += info["solution_lines"]
        sources.append(info["public"])
    for info in test_products.values():
        secrets_ += info["hidden_lines"]
        sources.append(info["public"])
    notebooks = None
    if assignment.notebook:
        student_nb, reference_nb, notebook_secrets, public = _process_notebook(assignment)
        notebooks = (student_nb, reference_nb)
        secrets_ += notebook_secrets
        sources.append(public)
    student, autograder = _write_products(assignment, out, modules, test_products, tests,
                                          notebooks, qualified)
    check_no_leak(student, secrets_, sources)
    result = {"student": student, "autograder": autograder, "check": None, "zip": None}
    if check:
        result["check"] = self_check(assignment, student, autograder, log)
    if wheel is not False:
        if wheel and not os.path.isfile(wheel):
            raise AssignmentError(f"--wheel {wheel}: no such file")
        wheel = wheel or build_wheel(os.path.join(out, "wheel"))
        result["zip"] = write_gradescope_zip(out, autograder, wheel)
    log(f"built {assignment.title} into {out}")
    return result


def build_course(out, wheel=None, check=True, log=print, names=None):
    """The four shipped assignments, each into DIST/<name>/, with one shared wheel."""
    if wheel is None:
        wheel = build_wheel(os.path.join(out, "wheel"))
    results = {}
    for name in names or COURSE:
        results[name] = build(os.path.join(COURSE_DIR, name), os.path.join(out, name),
                              wheel=wheel, check=check, log=log)
    return results

"""An assignment's source folder and its assignment.toml.

    title = "Assignment 2: Layers"
    modules = ["layers.py"]            # the solution modules the student completes
    notebook = "notebook.py"           # jupytext percent format (# %% cells)
    tests = ["tests/test_layers.py"]   # public tests, hidden ones inside HIDDEN blocks
    time_limit = 30                    # seconds per task, unless a task says otherwise

    [[tasks]]
    id = "2.3"
    title = "conv2d forward and backward"
    points = 10
    functions = ["Conv2d"]             # top-level names, or "Class.method"
    forbid = ["minigrad.nn.functional.conv2d"]   # tripwires while this task is graded

    [[bugs]]                           # seeded bugs the tests must catch
    task = "2.3"
    description = "bias gradient not summed over the spatial axes"
    file = "layers.py"
    find = "grad.sum(axis=(0, 2, 3))"  # must occur exactly once in the solution
    replace = "grad.sum(axis=0)"
"""

import os
import re
import sys

from minigrad.errors import MinigradError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["AssignmentError", "Assignment", "Task", "Bug", "load_assignment"]

_TASK_ID = re.compile(r"^\d+\.\d+$")


class AssignmentError(MinigradError, ValueError):
    """assignment.toml or the source folder is not what the build needs."""


class Task:
    def __init__(self, raw, default_limit, where):
        for key in ("id", "title", "points", "functions"):
            if key not in raw:
                raise AssignmentError(f"{where}: a [[tasks]] entry has no '{key}' ({raw})")
        self.id, self.title = str(raw["id"]), str(raw["title"])
        if not _TASK_ID.match(self.id):
            raise AssignmentError(f"{where}: task id {self.id!r} is not of the form '2.3'")
        self.points = float(raw["points"])
        if self.points <= 0:
            raise AssignmentError(f"{where}: task {self.id} has {self.points} points; "
                                  f"expected a positive number")
        self.functions = list(raw["functions"])
        if not self.functions:
            raise AssignmentError(f"{where}: task {self.id} owns no functions")
        self.forbid = list(raw.get("forbid", []))
        self.time_limit = float(raw.get("time_limit", default_limit))

    def as_dict(self):
        return {"id": self.id, "title": self.title, "points": self.points,
                "functions": self.functions, "forbid": self.forbid,
                "time_limit": self.time_limit}


class Bug:
    def __init__(self, raw, where):
        for key in ("task", "description", "file", "find", "replace"):
            if key not in raw:
                raise AssignmentError(f"{where}: a [[bugs]] entry has no '{key}' ({raw})")
        self.task, self.description = str(raw["task"]), raw["description"]
        self.file, self.find, self.replace = raw["file"], raw["find"], raw["replace"]


class Assignment:
    """The parsed assignment.toml of the folder `root`, with its files checked."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        path = os.path.join(self.root, "assignment.toml")
        if not os.path.isfile(path):
            raise AssignmentError(f"{root}: no assignment.toml in this folder")
        with open(path, "rb") as handle:
            try:
                raw = tomllib.load(handle)
            except tomllib.TOMLDecodeError as exc:
                raise AssignmentError(f"{path}: {exc}") from None
        self.title = raw.get("title") or os.path.basename(self.root)
        self.modules = list(raw.get("modules", []))
        self.notebook = raw.get("notebook")
        self.tests = list(raw.get("tests", []))
        self.data = list(raw.get("data", []))
        limit = float(raw.get("time_limit", 30))
        self.tasks = [Task(t, limit, path) for t in raw.get("tasks", [])]
        self.bugs = [Bug(b, path) for b in raw.get("bugs", [])]
        self._check(path)

    def _check(self, path):
        if not self.modules or not self.tests or not self.tasks:
            raise AssignmentError(f"{path}: needs modules, tests and at least one [[tasks]]")
        files = self.modules + self.tests + self.data + ([self.notebook] if self.notebook else [])
        for name in files:
            if not os.path.isfile(os.path.join(self.root, name)):
                raise AssignmentError(f"{path}: lists {name!r}, which is not in {self.root}")
        ids = [t.id for t in self.tasks]
        if len(set(ids)) != len(ids):
            raise AssignmentError(f"{path}: task ids repeat: {ids}")
        owners = {}
        for task in self.tasks:
            for name in task.functions:
                if name in owners:
                    raise AssignmentError(f"{path}: {name} is owned by tasks {owners[name]} "
                                          f"and {task.id}")
                owners[name] = task.id
        for bug in self.bugs:
            if bug.task not in ids:
                raise AssignmentError(f"{path}: seeded bug {bug.description!r} names task "
                                      f"{bug.task}, which does not exist")
            if bug.file not in self.modules:
                raise AssignmentError(f"{path}: seeded bug {bug.description!r} patches "
                                      f"{bug.file}, which is not one of the modules")

    def task(self, task_id):
        return next(t for t in self.tasks if t.id == task_id)

    def owner_of(self, name):
        """The task owning the top-level name (or 'Class.method'), or None."""
        for task in self.tasks:
            if name in task.functions:
                return task
        return None


def load_assignment(root):
    return Assignment(root)

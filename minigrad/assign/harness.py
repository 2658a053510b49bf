"""The grading process of one task (it runs in a child process of `minigrad grade`).

Order matters, because the submission's code runs in this process:
1. The test files are read and compiled first, from the autograder's folder, so
   nothing the submission does on import can rewrite them.
2. Tripwires replace the minigrad functions the task must write itself; they trip
   when a frame of the submission's files is on the stack.
3. The submission's modules are executed one top-level definition at a time, so a
   syntax error or an exception in one function costs only the task owning it.
4. Task isolation: every function owned by another task is replaced by the
   reference solution's (when the autograder has it).
5. Each test of the task runs; after each one, the guarded objects (mg.gradcheck,
   the checks, the tests themselves) must still be the grader's own.
Results go, one JSON line per event, to a file only this process knows the nonce of.
"""

import builtins
import json
import os
import re
import sys
import traceback
import types

__all__ = ["run_task", "split_definitions"]

_DEFINITION = re.compile(r"^(?:@|def\s|async\s+def\s|class\s)")
_DEFINED_NAME = re.compile(r"^(?:async\s+)?(?:def|class)\s+(\w+)", re.MULTILINE)


class DelegationTripped(BaseException):
    """Raised by a tripwire. A BaseException, so `except Exception` cannot hide it."""


class _Events:
    def __init__(self, path, nonce):
        self.handle = open(path, "a", encoding="utf-8")  # noqa: SIM115  (kept open)
        self.nonce = nonce

    def write(self, **event):
        event["nonce"] = self.nonce
        self.handle.write(json.dumps(event) + "\n")
        self.handle.flush()


# ------------------------------------------------------------------ loading code
def split_definitions(source):
    """Split a module into top-level pieces: [(first_line, text, names defined)]."""
    lines = source.splitlines(keepends=True)
    starts, after_decorator = [0], False
    for number, line in enumerate(lines):
        if _DEFINITION.match(line):
            if not after_decorator and number:
                starts.append(number)
            after_decorator = line.startswith("@")
    starts.append(len(lines))
    pieces = []
    for begin, end in zip(starts, starts[1:]):
        text = "".join(lines[begin:end])
        if text:
            names = _DEFINED_NAME.findall(text) if begin or _DEFINITION.match(text) else []
            pieces.append((begin + 1, text, names[:1]))
    return pieces


def _describe(exc, path):
    if isinstance(exc, SyntaxError):
        return f"syntax error in {os.path.basename(path)} line {exc.lineno}: {exc.msg}"
    return (f"{type(exc).__name__} while importing {os.path.basename(path)}: "
            f"{_first_line(exc)}{_where(exc, {path})}")


def load_submission_module(name, path):
    """Execute the module piece by piece; returns (module, {name: error}, [notes])."""
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    with open(path, encoding="utf-8", errors="replace") as handle:
        source = handle.read()
    broken, notes = {}, []
    for first_line, text, names in split_definitions(source):
        try:
            code = compile("\n" * (first_line - 1) + text, path, "exec")
            exec(code, module.__dict__)
        except DelegationTripped:
            raise
        except BaseException as exc:  # noqa: BLE001  (any failure is the submission's)
            message = _describe(exc, path)
            if names:
                broken.update({n: message for n in names})
            else:
                notes.append(message)
    return module, broken, notes


def _load_reference(name, path):
    module = types.ModuleType(f"_reference_{name}")
    module.__file__ = path
    sys.modules[module.__name__] = module
    with open(path, encoding="utf-8") as handle:
        exec(compile(handle.read(), path, "exec"), module.__dict__)
    return module


def _lookup(module, qualname):
    value = module
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def _substitute(student, reference, qualname):
    """Put the reference's definition of qualname into the student's module."""
    head, _, method = qualname.partition(".")
    if method and isinstance(getattr(student, head, None), type):
        setattr(getattr(student, head), method, getattr(reference, head).__dict__[method])
    else:
        setattr(student, head, getattr(reference, head))


# ------------------------------------------------------------------ tripwires
def _resolve_owner(dotted):
    import importlib

    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:-1]:
            owner = getattr(owner, part)
        return owner, parts[-1]
    raise ImportError(f"cannot import the module of {dotted}")


def _install_tripwires(forbid, student_files, task_label, tripped):
    for dotted in forbid:
        owner, attr = _resolve_owner(dotted)
        if isinstance(owner, type):  # the method as the class (or a base) defines it
            raw = next(k.__dict__[attr] for k in owner.__mro__ if attr in k.__dict__)
        else:
            raw = getattr(owner, attr)
        wrapper_kind = type(raw) if isinstance(raw, (staticmethod, classmethod)) else None
        original = raw.__func__ if wrapper_kind else raw
        if getattr(original, "_minigrad_tripwire", False):
            continue  # an alias of a function already forbidden under another name
        tripwire = _make_tripwire(original, dotted, student_files, task_label, tripped)
        setattr(owner, attr, wrapper_kind(tripwire) if wrapper_kind else tripwire)
        if wrapper_kind is None and not isinstance(owner, type):
            _replace_aliases(original, tripwire)


def _replace_aliases(original, tripwire):
    """The same function re-exported elsewhere (mg.log_softmax is
    minigrad.ops.reduce.log_softmax) is tripped there too, whatever the name used."""
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "minigrad" or name.startswith("minigrad.")):
            continue
        for attr, value in list(vars(module).items()):
            if value is original:
                setattr(module, attr, tripwire)


def _make_tripwire(original, dotted, student_files, task_label, tripped):
    def tripwire(*args, **kwargs):
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename in student_files:
                message = (f"task {task_label} must be written by you, but your code called "
                           f"minigrad's own {dotted} ({os.path.basename(frame.f_code.co_filename)}"
                           f" line {frame.f_lineno}, in {frame.f_code.co_name})")
                tripped.append(message)
                raise DelegationTripped(message)
            frame = frame.f_back
        return original(*args, **kwargs)
    tripwire.__wrapped__ = original
    tripwire._minigrad_tripwire = True
    tripwire.__name__ = getattr(original, "__name__", "tripwire")
    return tripwire


# ------------------------------------------------------------------ tamper guard
def _guarded_objects(test_modules):
    import numpy as np

    import minigrad
    import minigrad.assign.checks as checks
    import minigrad.testing.gradcheck as gradcheck_module

    watched = {"minigrad.gradcheck": (minigrad, "gradcheck"),
               "minigrad.gradgradcheck": (minigrad, "gradgradcheck"),
               "minigrad.GradcheckError": (minigrad, "GradcheckError"),
               "numpy.allclose": (np, "allclose"), "numpy.isclose": (np, "isclose"),
               "numpy.testing.assert_allclose": (np.testing, "assert_allclose"),
               "builtins.isinstance": (builtins, "isinstance"),
               "builtins.AssertionError": (builtins, "AssertionError")}
    for module, label in [(gradcheck_module, "minigrad.testing.gradcheck"),
                          (checks, "minigrad.assign.checks"),
                          (minigrad.testing, "minigrad.testing")]:
        for name, value in vars(module).items():
            if callable(value) and not name.startswith("__"):
                watched[f"{label}.{name}"] = (module, name)
    for module in test_modules:
        for name, value in vars(module).items():
            if callable(value) and not name.startswith("__"):
                watched[f"{module.__name__}.{name}"] = (module, name)
    return {label: (owner, name, _fingerprint(getattr(owner, name, None)))
            for label, (owner, name) in watched.items()}


def _fingerprint(value):
    return (id(value), id(getattr(value, "__code__", None)))


def _tampered(snapshot):
    for label, (owner, name, fingerprint) in snapshot.items():
        if _fingerprint(getattr(owner, name, None)) != fingerprint:
            return label
    return None


# ------------------------------------------------------------------ messages
def _first_line(exc):
    text = str(exc).strip()
    return text if text else "(no message)"


def _where(exc, files):
    """' (file line N, in f)' for the deepest traceback frame inside `files`."""
    found = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename in files:
            found = (frame.f_code.co_filename, line, frame.f_code.co_name)
    if found is None:
        return ""
    return f" ({os.path.basename(found[0])} line {found[1]}, in {found[2]})"


def _failure_message(exc, student_files, test_files):
    if isinstance(exc, NotImplementedError) and "Task" in str(exc):
        return f"not implemented yet ({_first_line(exc)})"
    if isinstance(exc, AssertionError):
        text = _first_line(exc)
        if text == "(no message)":
            text = "assertion failed" + _where(exc, test_files)
            for frame, line in traceback.walk_tb(exc.__traceback__):
                if frame.f_code.co_filename in test_files:
                    source = _source_line(frame.f_code.co_filename, line)
                    if source:
                        text += f": {source}"
        return text
    return f"{type(exc).__name__}: {_first_line(exc)}{_where(exc, student_files)}"


def _source_line(path, number):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().split("\n")[number - 1].strip()
    except (OSError, IndexError):
        return ""


# ------------------------------------------------------------------ the task
def _redirect_output(path):
    sys.stdout.flush()
    sys.stderr.flush()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


def _compile_tests(paths):
    compiled = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            compiled.append((path, compile(handle.read(), path, "exec")))
    return compiled


def _run_tests(job, events, test_modules, student_files, test_files, tripped, snapshot):
    task_id = job["task"]["id"]
    tests = [(module, name, value) for module in test_modules
             for name, value in vars(module).items()
             if name.startswith("test") and callable(value)
             and getattr(value, "task_id", None) == task_id]
    for module, name, test in tests:
        label = f"{os.path.basename(module.__file__)}::{name}"
        events.write(event="start", test=label)
        try:
            test()
            status, message = "passed", ""
        except DelegationTripped as exc:
            status, message = "failed", str(exc)
        except BaseException as exc:  # noqa: BLE001  (SystemExit and all: the submission's)
            status, message = "failed", _failure_message(exc, student_files, test_files)
        if tripped:
            events.write(event="cheat", message=tripped[0])
            status, message = "failed", tripped[0]
        changed = _tampered(snapshot)
        if changed:
            events.write(event="cheat", message=f"the submission replaced {changed}; tests "
                                                f"run with the grader's own copy")
            status = "failed"
            message = f"the submission replaced {changed}"
        events.write(event="result", test=label, status=status, message=message[:2000])
        sys.stdout.flush()
        if changed:
            return


def _grade(job, events):
    compiled_tests = _compile_tests(job["tests"])
    test_files = {path for path, _ in compiled_tests}
    student_files = {path for path in job["modules"].values() if path}
    tripped = []
    task = job["task"]
    if task["forbid"]:
        _install_tripwires(task["forbid"], student_files, task["id"], tripped)
    references = {name: _load_reference(name, path) for name, path in job["reference"].items()}
    before_import = _guarded_objects([])
    missing = []
    for name, path in job["modules"].items():
        if path is None:
            events.write(event="broken", message=job["module_problems"][name])
            return
        module, broken, notes = load_submission_module(name, path)
        for note in notes:
            events.write(event="note", message=note)
        for qualname in job["other_functions"].get(name, []):
            if name in references:
                _substitute(module, references[name], qualname)
        own_heads = {q.split(".")[0] for q in job["own_functions"].get(name, [])}
        if name in references:  # scaffolding the submission deleted comes back
            for key, value in vars(references[name]).items():
                if not key.startswith("__") and key not in own_heads and not hasattr(module, key):
                    setattr(module, key, value)
        for qualname in job["own_functions"].get(name, []):
            head = qualname.split(".")[0]
            if head in broken:
                missing.append(broken[head])
            else:
                try:
                    _lookup(module, qualname)
                except AttributeError:
                    missing.append(f"{os.path.basename(path)} has no {qualname} (task "
                                   f"{task['id']} needs it)")
    if tripped:
        events.write(event="cheat", message=tripped[0])
        return
    changed = _tampered(before_import)
    if changed:
        events.write(event="cheat", message=f"the submission replaced {changed} when it was "
                                            f"imported; tests run with the grader's own copy")
        return
    if missing:
        events.write(event="broken", message="; ".join(missing))
        return
    test_modules = []
    for path, code in compiled_tests:
        module = types.ModuleType(os.path.splitext(os.path.basename(path))[0])
        module.__file__ = path
        sys.modules[module.__name__] = module
        exec(code, module.__dict__)
        test_modules.append(module)
    snapshot = _guarded_objects(test_modules)
    _run_tests(job, events, test_modules, student_files, test_files, tripped, snapshot)


def run_task(job):
    """Grade job["task"]; the entry point of the child process."""
    _redirect_output(job["output_path"])
    events = _Events(job["events_path"], job["nonce"])
    os.chdir(job["workdir"])
    try:
        _grade(job, events)
        events.write(event="done")
    except BaseException as exc:  # noqa: BLE001
        events.write(event="broken", message=f"{type(exc).__name__} while setting up the "
                                             f"tests: {_first_line(exc)}")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no atexit handler of the submission runs after the results

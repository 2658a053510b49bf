"""`minigrad grade`: each task's tests in a process of its own, a table, results.json.

A task's process is forked from a server that has imported minigrad once (so a
task costs a fork, not an interpreter start), and it is killed when it runs past
the task's time limit or prints more than OUTPUT_LIMIT bytes. A crash of the
interpreter, an infinite loop or a flood of printing costs that task only.
Scores: points * (tests passed / tests run); 0 when the submission delegated to
minigrad's own implementation or replaced the grader's checks.
"""

import json
import multiprocessing
import os
import secrets
import signal
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from minigrad.assign.spec import AssignmentError

__all__ = ["grade", "TaskResult", "GradeReport", "OUTPUT_LIMIT", "TABLE_NAME"]

TABLE_NAME = "tasks.json"
OUTPUT_LIMIT = 1 << 20        # bytes a task may print before it is stopped
OUTPUT_KEPT = 2000            # characters of that output shown in the report
_PRELOAD = ["numpy", "minigrad", "minigrad.nn", "minigrad.optim", "minigrad.assign.harness"]
_context_lock = threading.Lock()
_context = None


def _process_context():
    global _context
    with _context_lock:
        if _context is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                _context = multiprocessing.get_context("forkserver")
                _context.set_forkserver_preload(_PRELOAD)
            else:  # Windows: one interpreter per task
                _context = multiprocessing.get_context("spawn")
        return _context


class TaskResult:
    def __init__(self, task, hidden_total, hidden_run):
        self.task = task
        self.tests = []             # (name, status, message, hidden)
        self.problem = None         # why the whole task scored 0
        self.notes = []
        self.output = ""
        self.seconds = 0.0
        self.hidden_total, self.hidden_run = hidden_total, hidden_run

    @property
    def passed(self):
        return sum(1 for t in self.tests if t[1] == "passed")

    @property
    def score(self):
        if self.problem or not self.tests:
            return 0.0
        return round(self.task["points"] * self.passed / len(self.tests), 4)

    @property
    def max_score(self):
        return self.task["points"]

    def first_failure(self, reveal_hidden=True):
        """The first failure in words; a hidden test's message only if reveal_hidden."""
        if self.problem:
            return self.problem
        failed = [(hidden, message) for _, status, message, hidden in self.tests
                  if status != "passed"]
        for hidden, message in sorted(failed, key=lambda f: f[0]):
            return message if reveal_hidden or not hidden else "a hidden test failed"
        return ""


class GradeReport:
    def __init__(self, table, results, seconds, student_mode):
        self.table, self.results, self.seconds = table, results, seconds
        self.student_mode = student_mode

    @property
    def score(self):
        return round(sum(r.score for r in self.results), 4)

    @property
    def max_score(self):
        return sum(r.max_score for r in self.results)

    def by_task(self):
        return {r.task["id"]: r for r in self.results}

    @property
    def hidden_not_run(self):
        return sum(r.hidden_total - r.hidden_run for r in self.results)

    def text(self, reveal_hidden=True):
        lines = [f"{self.table['title']}: {len(self.results)} tasks, graded in "
                 f"{self.seconds:.1f}s", "",
                 f"{'task':<6}{'title':<36}{'points':>13}  {'tests':>7}  result"]
        for r in self.results:
            points = f"{r.score:g}/{r.max_score:g}"
            tests = f"{r.passed}/{len(r.tests)}"
            verdict = ("passed" if r.score == r.max_score
                       else "FAILED: " + r.first_failure(reveal_hidden))
            if verdict == "passed" and r.hidden_total > r.hidden_run:
                verdict = "public tests passed"
            lines.append(f"{r.task['id']:<6}{r.task['title'][:35]:<36}{points:>13}  "
                         f"{tests:>7}  {verdict}")
        lines.append(f"{'':<6}{'total':<36}{f'{self.score:g}/{self.max_score:g}':>13}")
        hidden = self.hidden_not_run
        if hidden:
            lines += ["", f"{hidden} hidden tests exist and were not run: this is not your "
                          f"grade; the autograder runs them too."]
        elif self.score == self.max_score:
            lines += ["", "all tests passed"]
        return "\n".join(lines)

    def results_json(self):
        """Gradescope's results.json, one test entry per task."""
        tests = []
        for r in self.results:
            output = [f"{r.passed} of {len(r.tests)} tests passed"]
            if r.problem:
                output.append(r.problem)
            output += [f"{name}: {message}" for name, status, message, hidden in r.tests
                       if status != "passed" and not hidden]
            hidden_failed = sum(1 for t in r.tests if t[1] != "passed" and t[3])
            if hidden_failed:
                output.append(f"{hidden_failed} hidden tests failed")
            output += r.notes
            if r.output:
                output.append("your code printed:\n" + r.output)
            tests.append({"name": f"{r.task['id']} {r.task['title']}", "number": r.task["id"],
                          "score": r.score, "max_score": r.max_score,
                          "status": "passed" if r.score == r.max_score else "failed",
                          "output": "\n".join(output), "visibility": "visible"})
        return {"score": self.score, "execution_time": round(self.seconds, 3),
                "output": self.text(reveal_hidden=False), "visibility": "visible",
                "stdout_visibility": "hidden", "tests": tests}


# ------------------------------------------------------------------ finding files
def load_table(folder):
    path = os.path.join(folder, TABLE_NAME)
    if not os.path.isfile(path):
        raise AssignmentError(f"{folder}: no {TABLE_NAME} here; pass --autograder DIR (the "
                              f"autograder/ folder of `minigrad assign`) or run this in the "
                              f"student folder")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def find_modules(submission, names):
    """{module name: (path or None, problem)}: each file searched anywhere below."""
    found = {}
    everything = []
    for root, dirs, files in os.walk(submission):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        everything += [os.path.join(root, f) for f in sorted(files)]
    for filename in names:
        stem = os.path.splitext(filename)[0]
        matches = [p for p in everything if os.path.basename(p) == filename]
        if matches:
            found[stem] = (os.path.abspath(min(matches, key=len)), None)
            continue
        notebooks = [p for p in everything if os.path.basename(p) == stem + ".ipynb"]
        if notebooks:
            problem = (f"{filename} is missing: the submission has {stem}.ipynb instead. "
                       f"Submit the module {filename} (your completed copy of it), not a "
                       f"notebook")
        else:
            listed = ", ".join(os.path.relpath(p, submission) for p in everything[:10])
            problem = (f"{filename} is missing from the submission (it has: "
                       f"{listed or 'no files'})")
        found[stem] = (None, problem)
    return found


# ------------------------------------------------------------------ one task
def _job(table, task, modules, tests, reference, scratch):
    own, other = {}, {}
    for t in table["tasks"]:
        for qualified in t["functions"]:
            module, _, qualname = qualified.partition(":")
            (own if t["id"] == task["id"] else other).setdefault(module, []).append(qualname)
    tag = task["id"].replace(".", "_")
    return {"task": task, "tests": tests, "reference": reference,
            "modules": {name: path for name, (path, _) in modules.items()},
            "module_problems": {name: problem for name, (_, problem) in modules.items()},
            "own_functions": own, "other_functions": other, "nonce": secrets.token_hex(16),
            "events_path": os.path.join(scratch, f"events-{tag}.jsonl"),
            "output_path": os.path.join(scratch, f"output-{tag}.txt"),
            "workdir": scratch}


def _run_process(job, limit):
    process = _process_context().Process(target=_harness_entry, args=(job,), daemon=True)
    process.start()
    start, stopped = time.perf_counter(), None
    while process.exitcode is None:
        process.join(0.02)
        if process.exitcode is not None:
            break
        if time.perf_counter() - start > limit:
            stopped = (f"stopped after the time limit of {limit:g}s (an infinite loop, or "
                       f"much slower code than needed?)")
        elif os.path.exists(job["output_path"]) and \
                os.path.getsize(job["output_path"]) > OUTPUT_LIMIT:
            stopped = (f"stopped: it printed more than {OUTPUT_LIMIT >> 20} MB; remove the "
                       f"debugging prints")
        if stopped:
            process.kill()
            process.join()
    return process.exitcode, stopped, time.perf_counter() - start


def _harness_entry(job):
    from minigrad.assign.harness import run_task

    run_task(job)


def _read_events(job):
    events = []
    if os.path.exists(job["events_path"]):
        with open(job["events_path"], encoding="utf-8") as handle:
            for line in handle:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if event.pop("nonce", None) == job["nonce"]:
                    events.append(event)
    return events


def _read_output(path):
    if not os.path.exists(path):
        return ""
    with open(path, "rb") as handle:
        head = handle.read(OUTPUT_KEPT).decode("utf-8", "replace")
    size = os.path.getsize(path)
    return head + (f"\n[... {size - OUTPUT_KEPT} more bytes cut]" if size > OUTPUT_KEPT else "")


def _grade_task(table, task, modules, tests, reference, hidden_names):
    hidden_total = task.get("hidden_tests", 0)
    hidden_run = hidden_total if reference else 0
    result = TaskResult(task, hidden_total, hidden_run)
    with tempfile.TemporaryDirectory(prefix="minigrad-grade-") as scratch:
        job = _job(table, task, modules, tests, reference, scratch)
        exitcode, stopped, result.seconds = _run_process(job, task["time_limit"])
        events = _read_events(job)
        result.output = _read_output(job["output_path"]).strip()
    started = None
    for event in events:
        kind = event["event"]
        if kind == "start":
            started = event["test"]
        elif kind == "result":
            name = event["test"]
            result.tests.append((name, event["status"], event["message"],
                                 name.split("::")[-1] in hidden_names))
            started = None
        elif kind == "note":
            result.notes.append(event["message"])
        elif kind in ("broken", "cheat"):
            result.problem = result.problem or event["message"]
    finished = any(e["event"] == "done" for e in events)
    if stopped or not finished:
        if stopped is None:
            stopped = _crash_message(exitcode)
        where = f" while running {started}" if started else ""
        result.problem = result.problem or f"{stopped}{where}"
        if started:
            result.tests.append((started, "failed", stopped, started.split("::")[-1]
                                 in hidden_names))
    if not result.tests and not result.problem:
        result.problem = "no test of this task ran"
    return result


def _crash_message(exitcode):
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the Python process crashed ({name})"
    return (f"the grading process ended early (exit code {exitcode}): did your code call "
            f"sys.exit or os._exit?")


# ------------------------------------------------------------------ all tasks
def grade(submission, autograder=None, json_path=None, tasks=None, workers=None):
    """Grade the folder `submission`; returns a GradeReport (and writes results.json).

    autograder: the autograder/ folder of `minigrad assign` (every test, the reference
        solution for task isolation). Without it, the public tests and the task table
        found in `submission` itself are used: a student checking their work.
    tasks: only these task ids (default all).
    """
    submission = os.path.abspath(submission)
    folder = os.path.abspath(autograder) if autograder else submission
    table = load_table(folder)
    student_mode = not table.get("hidden_included", False)
    modules = find_modules(submission, table["modules"])
    tests = [os.path.join(folder, path) for path in table["tests"]]
    reference = {}
    if not student_mode:
        reference = {os.path.splitext(m)[0]: os.path.join(folder, "reference", m)
                     for m in table["modules"]}
    hidden_names = set(table.get("hidden_test_names", []))
    chosen = [t for t in table["tasks"] if tasks is None or t["id"] in tasks]
    start = time.perf_counter()
    workers = workers or max(1, min(len(chosen), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda t: _grade_task(table, t, modules, tests, reference,
                                                      hidden_names), chosen))
    report = GradeReport(table, results, time.perf_counter() - start, student_mode)
    if json_path:
        os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
        with open(json_path, "w", encoding="utf-8") as handle:
            json.dump(report.results_json(), handle, indent=2)
    return report

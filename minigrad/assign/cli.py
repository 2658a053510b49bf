"""The `assign` and `grade` subcommands of `python -m minigrad`.

    python -m minigrad assign SRC --out DIST       # one assignment folder
    python -m minigrad assign --course --out DIST  # the four shipped assignments
    python -m minigrad grade SUBMISSION [--autograder DIR] [--json results.json]
"""

import sys

__all__ = ["add_subcommands", "COMMANDS"]


def add_subcommands(commands, formatter_class):
    """Register `assign` and `grade` on the argparse subparsers of `minigrad`."""
    assign = commands.add_parser(
        "assign", formatter_class=formatter_class,
        help="build a course assignment: student version, autograder, Gradescope zip",
        description="Build an assignment from its source folder (solution modules with "
                    "### BEGIN/END SOLUTION, a percent-format notebook, public and hidden "
                    "tests, assignment.toml), check it, and package it.")
    assign.add_argument("source", nargs="?", help="the assignment's source folder")
    assign.add_argument("--course", action="store_true",
                        help="build the four assignments shipped with minigrad")
    assign.add_argument("--out", required=True, help="output folder (DIST)")
    assign.add_argument("--no-check", action="store_true",
                        help="skip the self-check (reference, stubs, seeded bugs)")
    assign.add_argument("--no-zip", action="store_true",
                        help="skip gradescope.zip (and the wheel build) while iterating")
    assign.add_argument("--wheel", default=None,
                        help="a minigrad wheel to put in gradescope.zip (default: build one "
                             "from this checkout)")
    grade = commands.add_parser(
        "grade", formatter_class=formatter_class,
        help="grade a submission task by task (Gradescope's results.json)",
        description="Run each task's tests in its own process with its time limit and "
                    "print the points per task.")
    grade.add_argument("submission", help="folder with the completed modules")
    grade.add_argument("--autograder", default=None,
                       help="the autograder/ folder of `minigrad assign` (default: the public "
                            "tests in SUBMISSION, as a student checks their work)")
    grade.add_argument("--json", default=None, help="write Gradescope's results.json here")
    grade.add_argument("--task", action="append", default=None,
                       help="grade only this task id (repeatable)")


def command_assign(args):
    from minigrad.assign.build import build, build_course
    from minigrad.assign.spec import AssignmentError

    if bool(args.course) == bool(args.source):
        print("minigrad assign: give either SRC or --course", file=sys.stderr)
        return 2
    wheel = False if args.no_zip else args.wheel
    try:
        if args.course:
            build_course(args.out, wheel=wheel, check=not args.no_check)
        else:
            build(args.source, args.out, wheel=wheel, check=not args.no_check)
    except AssignmentError as exc:
        print(f"minigrad assign: {exc}", file=sys.stderr)
        return 1
    return 0


def command_grade(args):
    from minigrad.assign.grader import grade
    from minigrad.assign.spec import AssignmentError

    try:
        report = grade(args.submission, args.autograder, args.json, tasks=args.task)
    except AssignmentError as exc:
        print(f"minigrad grade: {exc}", file=sys.stderr)
        return 2
    print(report.text())
    if args.json:
        print(f"results: {args.json}")
    return 0


COMMANDS = {"assign": command_assign, "grade": command_grade}

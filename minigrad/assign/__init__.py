"""Course assignments: one source folder, a student version, an autograder, Gradescope.

    python -m minigrad assign SRC --out DIST      # build (and self-check) one assignment
    python -m minigrad assign --course --out DIST # the four assignments shipped here
    python -m minigrad grade SUBMISSION --autograder DIST/autograder --json results.json

See minigrad/assign/README.md ("Teaching a course with minigrad").
"""

__all__ = ["build", "build_course", "grade"]


def build(*args, **kwargs):
    from minigrad.assign.build import build as build_one

    return build_one(*args, **kwargs)


def build_course(*args, **kwargs):
    from minigrad.assign.build import build_course as build_all

    return build_all(*args, **kwargs)


def grade(*args, **kwargs):
    from minigrad.assign.grader import grade as grade_one

    return grade_one(*args, **kwargs)

"""Shared plumbing for the lecture scripts: arguments, seeding, figures, results.

Every lecture script defines `run(out, full=False) -> dict` (the key numbers it
printed) and ends with `main(run, __doc__)`, which gives it the same command line:

    python lectures/NAME.py --out DIR [--full] [--seed 0]

Figures are drawn on matplotlib's Agg canvas (no display needed) and saved in
DIR; the key numbers are also written to DIR/NAME.json so a lecturer can quote
them and the tests can check them.
"""

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: lectures are rendered to files, never to a window

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import minigrad as mg  # noqa: E402

__all__ = ["main", "figure", "save", "to_jsonable", "banner"]


def figure(n_rows=1, n_cols=1, width=4.0, height=3.2):
    """(Figure, 2-D array of Axes) on the Agg canvas, without pyplot's global state."""
    fig = Figure(figsize=(width * n_cols, height * n_rows), layout="constrained")
    axes = np.asarray(fig.subplots(n_rows, n_cols, squeeze=False))
    return fig, axes


def save(fig, out, filename):
    """Save `fig` as out/filename and print where it went. Returns the path."""
    path = Path(out) / filename
    fig.savefig(path, dpi=110)
    print(f"  figure: {path}")
    return path


def banner(title):
    print(f"\n== {title} ==")


def to_jsonable(value):
    """NumPy scalars/arrays and nested containers -> plain Python for json.dump."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def main(run, doc, argv=None):
    """Parse --out/--full/--seed, seed minigrad's generator, call run(out, full), write
    the returned numbers to OUT/<script>.json."""
    name = Path(sys.argv[0]).stem if argv is None else run.__module__
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--out", default=f"lecture_output/{name}",
                        help="directory for figures and the results JSON")
    parser.add_argument("--full", action="store_true", help="lecture-scale sizes (slower)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mg.manual_seed(args.seed)
    results = run(out, full=args.full)
    path = out / f"{name}.json"
    path.write_text(json.dumps(to_jsonable(results), indent=1))
    print(f"  numbers: {path}")
    return results

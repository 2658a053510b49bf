"""benchmarks/_harness.py: the pair arithmetic, the load marks, and that every
contender really runs in its own process with only its own library imported."""

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import _harness  # noqa: E402


def fake_pairs():
    # ratios a/b per pair: 2.0, 1.0, 4.0 -> median 2.0, spread 1.0-4.0
    return [(1.0, {"a": {"t": 2.0, "info": {}}, "b": {"t": 1.0}}, 1.2),
            (1.2, {"a": {"t": 3.0, "info": {}}, "b": {"t": 3.0}}, 2.5),
            (2.5, {"a": {"t": 8.0, "info": {}}, "b": {"t": 2.0}}, 2.4)]


def test_summary_is_the_median_and_range_of_per_pair_ratios():
    row = _harness.summarise(fake_pairs(), "a", "b")["t"]
    assert row["ratios"] == [2.0, 1.0, 4.0]
    assert (row["ratio"], row["low"], row["high"]) == (2.0, 1.0, 4.0)
    assert (row["first_s"], row["second_s"]) == (3.0, 2.0)  # medians of 2,3,8 and 1,3,2


def test_a_pair_whose_load_jumped_is_marked():
    assert _harness.format_loads(fake_pairs()) == "1.0->1.2 1.2->2.5! 2.5->2.4"
    out = io.StringIO()
    _harness.report(fake_pairs(), "a", "b", file=out)
    assert "1.2->2.5!" in out.getvalue() and "not the same" in out.getvalue()


SCRIPT = '''
"""A two-contender benchmark for the test."""
import os, sys
import numpy as np
from _harness import main

def prepare(args):
    return {"x": np.arange(3.0)}

def worker(data, args):
    mods = sorted(m for m in ("minigrad", "torch") if m in sys.modules)
    return {"t": 0.001, "info": {"pid": os.getpid(), "mods": mods,
                                 "x": float(data["x"].sum())}}

if __name__ == "__main__":
    def check(pairs, table, args, first, other):
        import json
        print("DRIVER", json.dumps(sorted(m for m in ("minigrad", "torch") if m in sys.modules)))
        print("RAW", json.dumps(pairs))
    main(__doc__, prepare, {"a": worker, "b": worker}, after=check)
'''


def test_each_contender_is_a_fresh_process_and_the_driver_imports_neither_library(tmp_path):
    script = BENCHMARKS / "_test_two_contenders.py"
    script.write_text(textwrap.dedent(SCRIPT))
    try:
        done = subprocess.run([sys.executable, str(script), "--pairs", "3"], capture_output=True,
                              text=True, timeout=120, cwd=tmp_path)
    finally:
        script.unlink()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert json.loads(next(line for line in lines if line.startswith("DRIVER"))[7:]) == []
    pairs = json.loads(next(line for line in lines if line.startswith("RAW"))[4:])
    infos = [results[name]["info"] for _, results, _ in pairs for name in ("a", "b")]
    assert len(infos) == 6 and len({info["pid"] for info in infos}) == 6
    assert all(info["mods"] == [] and info["x"] == 3.0 for info in infos)


def test_idx_reader_reads_what_the_format_says(tmp_path):
    import gzip

    import numpy as np

    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in images.shape)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(header + images.tobytes())
    assert np.array_equal(_harness._read_idx(str(path)), images)


def test_a_part_the_reference_never_spends_time_on_is_nan_not_a_crash():
    pairs = [(1.0, {"a": {"t": 2.0, "idle": 0.5}, "b": {"t": 1.0, "idle": 0.0}}, 1.0)] * 3
    table = _harness.summarise(pairs, "a", "b")
    assert table["t"]["ratio"] == 2.0
    assert table["idle"]["ratio"] != table["idle"]["ratio"]  # nan


def test_ab_trees_alternates_which_tree_goes_first_and_pairs_adjacent_bursts(monkeypatch):
    import ab_trees

    calls = []
    seconds = {"A": [1.0, 1.0, 1.0, 1.0], "B": [0.5, 2.0, 0.5, 2.0]}

    class FakeWorker:
        def __init__(self, name):
            self.name = name
            self.stdin = type("Pipe", (), {"close": lambda self: None})()

        def wait(self):
            return 0

    monkeypatch.setattr(ab_trees, "start_worker", lambda tree, kind, threads: FakeWorker(tree))

    def fake_burst(worker, steps):
        calls.append(worker.name)
        return seconds[worker.name].pop(0) * steps

    monkeypatch.setattr(ab_trees, "burst", fake_burst)
    ratios, a_times, b_times = ab_trees.compare("A", "B", "chain", 3, 4, 1)
    assert calls == ["A", "B", "B", "A", "A", "B", "B", "A"]
    assert ratios == [0.5, 2.0, 0.5, 2.0]
    assert a_times == [1.0] * 4 and b_times == [0.5, 2.0, 0.5, 2.0]

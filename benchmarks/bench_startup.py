"""Start-up costs: `import minigrad`, warm import + first conv, cold compile of `make train`.

    python benchmarks/bench_startup.py [--pairs 3] [--compare /path/to/other/checkout]

Every measurement is a fresh process (the checkout's minigrad first on sys.path):
  import           wall time of `import minigrad` (after `import numpy`, which is
                   timed separately: it is not ours), and the peak resident memory
                   of the process that did nothing else (VmHWM);
  first conv       import minigrad + one conv2d and max_pool2d forward and backward,
                   with Numba's on-disk cache warm (the process is run twice; the
                   second is timed);
  make train cold  `python -m minigrad train` (the default recipe: the embedded
                   digits, the CNN) for one epoch on 256 images, with an empty
                   NUMBA_CACHE_DIR, so every kernel the run uses compiles;
  make train warm  the same run again with that cache now full;
  compile          cold minus warm: what compiling costs.
With --compare, the other checkout runs the same processes, interleaved A B A B, and
the ratios this/other are reported with their spread (benchmarks/_harness.py's
table). The load average is printed before and after each pair.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _harness import LOAD_JUMP, ROOT, format_loads, load_average

IMPORT = """
import json, time
start = time.perf_counter(); import numpy; numpy_s = time.perf_counter() - start
start = time.perf_counter(); import minigrad; import_s = time.perf_counter() - start
peak = [int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmHWM')]
print(json.dumps({"numpy_s": numpy_s, "import_s": import_s, "rss_mb": peak[0]}))
"""

FIRST_CONV = """
import json, time
start = time.perf_counter()
import numpy as np
import minigrad as mg
import minigrad.nn.functional as F
x = mg.tensor(np.ones((2, 3, 8, 8), np.float32), requires_grad=True)
w = mg.tensor(np.ones((4, 3, 3, 3), np.float32), requires_grad=True)
F.max_pool2d(F.conv2d(x, w, padding=1), 2).sum().backward()
print(json.dumps({"first_conv_s": time.perf_counter() - start}))
"""


def run(tree, code_or_argv, cache_dir, cwd):
    env = dict(os.environ, PYTHONPATH=tree, NUMBA_CACHE_DIR=cache_dir)
    argv = [sys.executable, "-c", code_or_argv] if isinstance(code_or_argv, str) else \
        [sys.executable, *code_or_argv]
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return seconds, done.stdout


def measure(tree):
    """One fresh set of processes for the checkout at `tree`."""
    with tempfile.TemporaryDirectory(prefix="minigrad-startup-") as scratch:
        cache = os.path.join(scratch, "numba-cache")
        train = ["-m", "minigrad", "train", "--epochs", "1", "--limit", "256",
                 "--no-progress", "--out", os.path.join(scratch, "run")]
        cold, _ = run(tree, train, cache, scratch)
        warm, _ = run(tree, train, cache, scratch)
        first_conv = {}
        for state in ("cold", "warm"):  # its own shapes may need kernels training did not
            _, out = run(tree, FIRST_CONV, cache, scratch)
            first_conv[state] = json.loads(out.strip().splitlines()[-1])["first_conv_s"]
        _, out = run(tree, IMPORT, cache, scratch)
        imported = json.loads(out.strip().splitlines()[-1])
    return {"import minigrad": imported["import_s"], "import numpy": imported["numpy_s"],
            "import RSS MB": imported["rss_mb"], "warm import + first conv": first_conv["warm"],
            "make train cold (1 epoch, 256 images)": cold,
            "make train warm (same)": warm, "compile (cold - warm)": cold - warm}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--compare", default=None, help="another checkout, interleaved")
    args = parser.parse_args()
    trees = [ROOT] + ([os.path.abspath(args.compare)] if args.compare else [])
    pairs = []
    for _ in range(max(3, args.pairs)):
        before = load_average()
        results = {tree: measure(tree) for tree in trees}
        pairs.append((before, results, load_average()))
    print(" ".join(sys.argv))
    header = f"{'measurement':40s} {'median':>9s} {'min-max':>17s}"
    if args.compare:
        header += f" {'other':>9s} {'this/other':>11s} {'spread':>13s}"
    print(header + "   (seconds, except MB)")
    for key in pairs[0][1][ROOT]:
        ours = [results[ROOT][key] for _, results, _ in pairs]
        line = f"{key:40s} {statistics.median(ours):9.3f} {min(ours):8.3f}-{max(ours):<8.3f}"
        if args.compare:
            theirs = [results[trees[1]][key] for _, results, _ in pairs]
            ratios = [a / b for a, b in zip(ours, theirs)]
            line += (f" {statistics.median(theirs):9.3f} {statistics.median(ratios):11.2f} "
                     f"{min(ratios):6.2f}-{max(ratios):<6.2f}")
        print(line)
    print(f"{len(pairs)} rounds; 1-min load average before->after each: {format_loads(pairs)}"
          + (f" (! = changed by more than {LOAD_JUMP})"
             if any(abs(a - b) > LOAD_JUMP for b, _, a in pairs) else ""))


if __name__ == "__main__":
    main()

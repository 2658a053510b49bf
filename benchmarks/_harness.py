"""The one harness every comparative benchmark here runs on.

Rules, each one against a way a benchmark can flatter its author:
- Every contender runs in its own fresh process that imports only its own library.
  Importing PyTorch costs minigrad about 15 % (its OpenMP runtime and allocator),
  and an import order can hand one library the other's settings.
- The data are prepared once, by the driver process, which imports neither minigrad
  nor PyTorch (NumPy only), and saved to a temporary .npz that every worker loads.
- Contenders run in interleaved pairs A B A B ... (at least three pairs), so a slow
  moment of a shared machine falls on both alike; each pair gives one ratio A / B.
- The report gives, per measurement, the median ratio over pairs, its spread (the
  smallest and largest pair ratio), both contenders' median absolute times, and the
  1-minute load average before and after every pair. A pair whose load changed by
  more than LOAD_JUMP is marked with '!': the machine changed under it.
- Inside a worker, a measurement is the median of its repeats after a warm-up call
  (compilation, allocator, thread pools), never the best: the minimum of a noisy
  series rewards luck.

A benchmark script defines `prepare(args) -> {name: ndarray}` (NumPy only) and one
worker per contender, `worker(data, args) -> {measurement: seconds}`, and calls
    main(__doc__, prepare, {"minigrad": ..., "torch": ...}, add_arguments)
The same script is then both the driver and, with --worker NAME, each worker.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOAD_JUMP = 1.0
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS", "MINIGRAD_NUM_THREADS")


# --------------------------------------------------------------------------- in a worker
def settle(quiet_cpu_seconds=0.001, poll_seconds=0.01, limit_seconds=1.0):
    """Return once this process uses almost no CPU for a `poll_seconds` sleep (at most
    `limit_seconds`): no thread of ours is still spinning. Call it before timing.

    Why: a contender's worker threads keep running after it returns. After a threaded
    GEMM, NumPy's OpenBLAS keeps a worker spinning for about 70 ms of CPU time on a
    2-core machine, PyTorch's OpenMP workers about 10 ms; whatever is timed in that
    window has one core instead of two."""
    deadline = time.perf_counter() + limit_seconds
    while time.perf_counter() < deadline:
        before = time.process_time()
        time.sleep(poll_seconds)
        if time.process_time() - before < quiet_cpu_seconds:
            return


def median_time(run, repeats, warmup=1):
    """Median wall time of run() in seconds over `repeats` calls, after `warmup` calls."""
    for _ in range(warmup):
        run()
    settle()
    samples = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def requested_threads():
    """The --threads the driver asked for (None: each library's own default)."""
    value = os.environ.get("BENCH_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


# --------------------------------------------------------------------------- the driver
def load_average():
    return os.getloadavg()[0]


def _worker_command(script, name, data_path, argv):
    return [sys.executable, script, "--worker", name, "--data", data_path, *argv]


def run_worker(script, name, data_path, argv, threads, timeout):
    """One fresh process for contender `name`; returns its JSON dict of seconds."""
    env = {key: value for key, value in os.environ.items() if key not in THREAD_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    if threads:
        env.update({variable: str(threads) for variable in THREAD_VARIABLES},
                   BENCH_THREADS=str(threads))
    done = subprocess.run(_worker_command(script, name, data_path, argv), capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"worker {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_pairs(script, names, data_path, argv, pairs, threads=None, timeout=3600):
    """[(load_before, {name: result}, load_after)] for `pairs` interleaved pairs."""
    out = []
    for _ in range(pairs):
        before = load_average()
        results = {name: run_worker(script, name, data_path, argv, threads, timeout)
                   for name in names}
        out.append((before, results, load_average()))
    return out


def summarise(pairs, first, second):
    """{measurement: dict(ratio, low, high, first_s, second_s, ratios)} for the numeric
    entries both contenders report."""
    keys = [key for key, value in pairs[0][1][first].items()
            if isinstance(value, (int, float)) and key in pairs[0][1][second]]
    table = {}
    for key in keys:
        a = [results[first][key] for _, results, _ in pairs]
        b = [results[second][key] for _, results, _ in pairs]
        ratios = [x / y if y else float("nan") for x, y in zip(a, b)]
        table[key] = {"ratio": statistics.median(ratios), "low": min(ratios),
                      "high": max(ratios), "first_s": statistics.median(a),
                      "second_s": statistics.median(b), "ratios": ratios}
    return table


def format_loads(pairs):
    marks = []
    for before, _, after in pairs:
        flag = "!" if abs(after - before) > LOAD_JUMP else ""
        marks.append(f"{before:.1f}->{after:.1f}{flag}")
    return " ".join(marks)


def report(pairs, first, second, unit="ms", file=None):
    """Print the table: per measurement the median ratio first/second, the spread,
    both median times, then the loads. Returns the summary dict."""
    table = summarise(pairs, first, second)
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
    width = max([len(key) for key in table] + [11])
    print(f"{'measurement':{width}s} {first + '/' + second:>16s} {'spread':>13s} "
          f"{first + ' ' + unit:>13s} {second + ' ' + unit:>13s}", file=file)
    for key, row in table.items():
        print(f"{key:{width}s} {row['ratio']:16.2f} {row['low']:6.2f}-{row['high']:<6.2f} "
              f"{scale * row['first_s']:13.3f} {scale * row['second_s']:13.3f}", file=file)
    print(f"{len(pairs)} interleaved pairs ({first} then {second}); 1-min load average "
          f"before->after each pair: {format_loads(pairs)}"
          + ("  (! = load changed by more than "
             f"{LOAD_JUMP}: that pair's machine was not the same)"
             if any(abs(a - b) > LOAD_JUMP for b, _, a in pairs) else ""), file=file)
    return table


def save_data(arrays, directory):
    """Write the prepared arrays to a .npz in `directory`; returns its path."""
    import numpy as np

    path = os.path.join(directory, "data.npz")
    np.savez(path, **arrays)
    return path


def load_data(path):
    import numpy as np

    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def base_parser(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pairs", type=int, default=3, help="interleaved pairs (at least 3)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for every contender (BLAS, OpenMP, Numba, minigrad, "
                             "torch.set_num_threads); default: each library's own choice")
    parser.add_argument("--json", default=None, help="also write the raw pairs here")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", default=None, help=argparse.SUPPRESS)
    return parser


def worker_argv(args, parser):
    """The script's own options, to hand to every worker unchanged."""
    argv = []
    for action in parser._actions:
        if action.dest in ("help", "pairs", "threads", "json", "worker", "data", "variant"):
            continue
        value = getattr(args, action.dest, None)
        if isinstance(action, argparse._StoreTrueAction):
            argv += [action.option_strings[0]] if value else []
        elif value is not None:
            argv += [action.option_strings[0], str(value)]
    return argv


def main(doc, prepare, workers, add_arguments=None, unit="ms", after=None, variants=None,
         min_pairs=3):
    """Run a benchmark script: as a worker (--worker NAME) or as the driver.

    The first contender of `workers` is compared with each of the others;
    `after(pairs, table, args, first, other)` may print more (a geometric mean,
    accuracies). `variants(args)` may list settings (models, say) that each get their
    own processes and pairs, handed to the workers as args.variant. `min_pairs` is 3
    (the rule) unless a script whose one pair takes many minutes lowers it, in which
    case the output says how many pairs it had."""
    parser = base_parser(doc.splitlines()[0])
    parser.add_argument("--variant", default=None, help=argparse.SUPPRESS)
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args()
    if args.worker:
        result = workers[args.worker](load_data(args.data), args)
        print(json.dumps(result))
        return None
    names = list(workers)
    if any("torch" in name for name in names) and not _importable("torch"):
        print("PyTorch is not installed: nothing to compare with (pip install -e '.[parity]')")
        return None
    script = os.path.abspath(sys.argv[0])
    threads = f"{args.threads} thread(s) each" if args.threads else "default threads"
    print(f"{' '.join(sys.argv)}  [{threads}]")
    tables, raw = {}, {}
    with tempfile.TemporaryDirectory(prefix="minigrad-bench-") as directory:
        path = save_data(prepare(args), directory)
        for variant in (variants(args) if variants else [None]):
            argv = worker_argv(args, parser) + (["--variant", variant] if variant else [])
            args.variant = variant
            count = max(min_pairs, args.pairs)
            if count < 3:
                print(f"only {count} pair(s): a look, not a claim (the rule is 3 or more)")
            pairs = run_pairs(script, names, path, argv, count, args.threads)
            raw[variant] = pairs
            for other in names[1:]:  # the first contender against each of the others
                if variant:
                    print(f"-- {variant}")
                table = report(pairs, names[0], other, unit=unit)
                tables[f"{variant}: {other}" if variant else other] = table
                if after:
                    after(pairs, table, args, names[0], other)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"argv": sys.argv, "pairs": raw, "summary": tables}, handle, indent=1)
    return tables


def _importable(name):
    """Is `name` installed? Asked without importing it into the driver."""
    import importlib.util

    return importlib.util.find_spec(name) is not None


# --------------------------------------------------------------------------- data sets
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"   # apt-get install dataset-fashion-mnist
DIGITS = os.path.join(ROOT, "minigrad", "data", "embedded", "digits.npz")


def _read_idx(path):
    """An IDX file (the MNIST format: magic, sizes, then unsigned bytes), gzipped or not."""
    import gzip

    import numpy as np

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def image_classification_data(limit=None):
    """(description, x_train, y_train, x_test, y_test): Fashion-MNIST from the Debian
    package when it is installed, else the 8x8 digits embedded in minigrad (1,497
    training and 300 test images). Images as float32 (N, 1, H, W), standardised with
    the training mean and std; labels int64. NumPy only: no minigrad, no torch."""
    import numpy as np

    if os.path.isdir(FASHION_MNIST):
        def part(stem):
            return _read_idx(os.path.join(FASHION_MNIST, stem + "-ubyte.gz"))

        x_train, y_train = part("train-images-idx3"), part("train-labels-idx1")
        x_test, y_test = part("t10k-images-idx3"), part("t10k-labels-idx1")
        name = "Fashion-MNIST (" + FASHION_MNIST + ")"
    else:
        with np.load(DIGITS) as archive:
            images, labels = archive["images"], archive["labels"]
        x_train, y_train, x_test, y_test = images[:-300], labels[:-300], images[-300:], \
            labels[-300:]
        name = f"embedded 8x8 digits (Fashion-MNIST not found at {FASHION_MNIST})"
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    x_train = x_train.astype(np.float32)[:, None] / 255
    x_test = x_test.astype(np.float32)[:, None] / 255
    mean, std = x_train.mean(), x_train.std()
    return (f"{name}, {len(y_train)} training images", (x_train - mean) / std,
            y_train.astype(np.int64), (x_test - mean) / std, y_test.astype(np.int64))

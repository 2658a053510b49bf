"""Data-parallel throughput: samples/s on 1 and 2 MPI ranks, time in Allreduce, efficiency.

    python benchmarks/bench_distributed.py                 # launches mpiexec -n 1, then -n 2
    python benchmarks/bench_distributed.py --ranks 1 2 4 --steps 60 --batch 64

Weak scaling, as data parallelism is used: every rank keeps its batch B, so K
ranks process a global batch of K*B per step. Each rank runs one thread
(OMP/OPENBLAS/NUMBA_NUM_THREADS=1), so K ranks use K cores. Reported per run:

    samples/s       K * B * steps / wall time of the timed steps
    step ms         wall time per step (forward, backward, Allreduce, update)
    allreduce ms    time per step inside Allreduce (waiting for the slowest rank included)
    efficiency      samples/s with K ranks / (K * samples/s with 1 rank)

and, as the ceiling the machine allows, K processes training without any
communication: the ratio to it isolates the cost of synchronisation from the
cost of sharing cores (and memory bandwidth) with each other and other jobs.

Also measured: one Allreduce of a 4 MB float32 buffer (the issue's reference
point, about 1 ms between 2 local ranks). Needs the mpi extra (mpi4py, mpich).
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1"}


def build_model(name):
    import minigrad.nn as nn

    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                             nn.ReLU(), nn.Linear(128, 10)), (1, 28, 28)
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(),
                         nn.Linear(64, 10)), (1, 28, 28)


def time_allreduce(comm, megabytes=4, repeats=20):
    """Median seconds of one in-place Allreduce of a float32 buffer."""
    buffer = np.ones(int(megabytes * 2**20) // 4, dtype=np.float32)
    times = []
    for _ in range(repeats):
        comm.barrier()
        start = time.perf_counter()
        comm.allreduce_(buffer)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def worker(args):
    """One rank: train `steps` steps of synthetic data, report timings from rank 0."""
    import minigrad as mg
    import minigrad.distributed as distributed
    import minigrad.nn.functional as F
    from minigrad.optim import SGD

    comm = distributed.init(timeout=None if args.blocking else distributed.DEFAULT_TIMEOUT)
    mg.manual_seed(0)
    model, input_shape = build_model(args.model)
    comm.broadcast_module(model)
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(comm.rank)
    x = mg.tensor(rng.normal(size=(args.batch, *input_shape)).astype(np.float32))
    y = rng.integers(0, 10, size=args.batch)

    def step():
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        if not args.no_sync:
            comm.average_gradients(model.parameters(), args.bucket_mb)
        optimizer.step()

    for _ in range(args.warmup):
        step()
    comm.barrier()
    comm.stats.update(allreduce_calls=0, allreduce_seconds=0.0, allreduce_bytes=0)
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    comm.barrier()
    elapsed = time.perf_counter() - start
    stats = dict(comm.stats)
    bare = time_allreduce(comm) if comm.size > 1 else 0.0
    if comm.is_main:
        parameters = sum(p.numel() for p in model.parameters())
        print(json.dumps({
            "ranks": comm.size, "batch": args.batch, "steps": args.steps,
            "parameters": int(parameters), "seconds": elapsed,
            "samples_per_s": comm.size * args.batch * args.steps / elapsed,
            "step_ms": 1e3 * elapsed / args.steps,
            "allreduce_ms": 1e3 * stats["allreduce_seconds"] / args.steps,
            "allreduce_calls_per_step": stats["allreduce_calls"] / args.steps,
            "allreduce_4mb_ms": 1e3 * bare}))


def mpiexec_path():
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def launch(ranks, args, no_sync=False):
    command = [mpiexec_path(), "-n", str(ranks), sys.executable, __file__, "--worker",
               "--model", args.model, "--batch", str(args.batch), "--steps", str(args.steps),
               "--warmup", str(args.warmup), "--bucket-mb", str(args.bucket_mb)]
    command += ["--blocking"] if args.blocking else []
    command += ["--no-sync"] if no_sync else []
    env = dict(os.environ, PYTHONPATH=str(ROOT), **ONE_THREAD)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"mpiexec -n {ranks} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(rows):
    base = rows[0]["samples_per_s"] / rows[0]["ranks"]
    print(f"{'ranks':>5} {'batch/rank':>10} {'samples/s':>10} {'step ms':>8} {'compute ms':>10} "
          f"{'allreduce ms':>12} {'% in allreduce':>14} {'calls/step':>10} {'efficiency':>10}")
    for row in rows:
        share = 100 * row["allreduce_ms"] / row["step_ms"]
        efficiency = row["samples_per_s"] / (row["ranks"] * base)
        compute = row["step_ms"] - row["allreduce_ms"]  # grows when ranks share a core
        print(f"{row['ranks']:>5d} {row['batch']:>10d} {row['samples_per_s']:>10.0f} "
              f"{row['step_ms']:>8.2f} {compute:>10.2f} {row['allreduce_ms']:>12.3f} "
              f"{share:>13.1f}% {row['allreduce_calls_per_step']:>10.1f} {efficiency:>10.2f}")
    for row in rows:
        if row["ranks"] > 1:
            print(f"one Allreduce of 4 MB float32 on {row['ranks']} ranks: "
                  f"{row['allreduce_4mb_ms']:.2f} ms (median of 20)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--batch", type=int, default=64, help="per-rank batch B")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--bucket-mb", type=float, default=4.0)
    parser.add_argument("--blocking", action="store_true",
                        help="plain blocking collectives instead of polled ones with a timeout")
    parser.add_argument("--no-sync", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        raise SystemExit("bench_distributed: needs the mpi extra: pip install mpi4py mpich") \
            from None
    if mpiexec_path() is None:
        raise SystemExit("bench_distributed: no mpiexec next to Python or on PATH")
    print(f"{args.model}, weak scaling (batch {args.batch} per rank), {args.steps} timed steps, "
          f"1 thread per rank, {os.cpu_count()} cores, "
          f"{'blocking' if args.blocking else 'polled (timeout)'} collectives")
    rows = [launch(k, args) for k in args.ranks]
    report(rows)
    for k in args.ranks:
        if k > 1:  # the same K processes without any communication: what the machine allows
            alone = launch(k, args, no_sync=True)
            synced = next(row for row in rows if row["ranks"] == k)
            print(f"{k} unsynchronised processes: {alone['samples_per_s']:.0f} samples/s "
                  f"({alone['step_ms']:.2f} ms/step); synchronous SGD reaches "
                  f"{synced['samples_per_s'] / alone['samples_per_s']:.2f} of that")
    print(f"load average (1, 5, 15 min) after the runs: "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}; above the core count, other "
          f"processes take cores from the ranks and efficiency drops")


if __name__ == "__main__":
    main()

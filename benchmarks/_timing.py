"""What every benchmark here shares: let the machine go quiet before timing.

A contender's worker threads keep running after it returns. After a threaded
GEMM, NumPy's OpenBLAS keeps a worker spinning on a core for about 70 ms of CPU
time on the 2-core machine these scripts were written on; PyTorch's OpenMP
workers spin for about 10 ms. Whatever is timed in that window has one core
instead of two. bench_conv.py timed minigrad's small 5x5 stride-2 case (21 calls,
about 50 ms) right after the NumPy reference's large GEMMs, so every one of its
calls ran beside a spinning OpenBLAS worker.
"""

import time


def settle(quiet_cpu_seconds=0.001, poll_seconds=0.01, limit_seconds=1.0):
    """Return once this process uses almost no CPU for a `poll_seconds` sleep (at most
    `limit_seconds`): no thread of ours is still spinning. Call it before timing."""
    deadline = time.perf_counter() + limit_seconds
    while time.perf_counter() < deadline:
        before = time.process_time()
        time.sleep(poll_seconds)
        if time.process_time() - before < quiet_cpu_seconds:
            return

"""minigrad's worker threads: the thread count, chunk results and errors, BLAS setting."""

import os
import threading
import time

import numpy as np
import pytest

import minigrad as mg
from minigrad.kernels import _threads


@pytest.fixture
def three_threads():
    before = mg.get_num_threads()
    mg.set_num_threads(3)
    yield
    mg.set_num_threads(before)


def test_chunks_run_on_several_threads_and_results_keep_their_order(three_threads):
    names = set()
    barrier = threading.Barrier(3, timeout=10)

    def task(start, stop):
        names.add(threading.current_thread().name)
        barrier.wait()  # only returns once three threads are in here at the same time
        return list(range(start, stop))

    results = _threads.run_chunks(task, [(0, 2), (2, 5), (5, 6)])
    assert results == [[0, 1], [2, 3, 4], [5]]
    if _threads._openblas is not None:
        assert len(names) == 3


def test_an_error_in_any_chunk_reaches_the_caller_and_the_pool_still_works(three_threads):
    def task(start, stop):
        if start == 4:
            raise ValueError(f"chunk {start}:{stop} failed")
        return start

    with pytest.raises(ValueError, match="chunk 4:6 failed"):
        _threads.run_chunks(task, [(0, 2), (2, 4), (4, 6), (6, 8)])
    assert _threads.run_chunks(lambda start, stop: stop, [(0, 1), (1, 2), (2, 3)]) == [1, 2, 3]


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "2"])
def test_set_num_threads_rejects_anything_but_a_positive_integer(bad):
    with pytest.raises(ValueError, match="set_num_threads: expected a positive integer"):
        mg.set_num_threads(bad)


def test_one_thread_runs_every_chunk_in_the_caller():
    before = mg.get_num_threads()
    mg.set_num_threads(1)
    try:
        seen = _threads.run_chunks(lambda start, stop: threading.current_thread().name,
                                   [(0, 1), (1, 2)])
        assert seen == [threading.current_thread().name] * 2
        assert mg.get_num_threads() == 1
    finally:
        mg.set_num_threads(before)


def test_split_covers_the_range_with_aligned_boundaries():
    for length in (0, 1, 15, 16, 17, 100):
        for pieces in (1, 2, 3):
            ranges = _threads.split(length, pieces, align=16)
            assert len(ranges) <= pieces
            covered = [i for start, stop in ranges for i in range(start, stop)]
            assert covered == list(range(length))
            assert all(start % 16 == 0 for start, _ in ranges)


def test_relu_kernel_keeps_nan_and_infinities_and_dtype():
    from minigrad.kernels.special import relu

    for dtype in (np.float32, np.float64):
        x = np.array([-np.inf, -1.0, -0.0, 0.0, 2.0, np.inf, np.nan], dtype=dtype)
        y = relu(x)
        assert y.dtype == dtype
        np.testing.assert_array_equal(y, [0, 0, 0, 0, 2, np.inf, np.nan])
    assert relu(np.float64(-3.0).reshape(())).shape == ()
    strided = np.arange(-6.0, 6.0).reshape(3, 4).T  # not contiguous
    np.testing.assert_array_equal(relu(strided), np.maximum(strided, 0))


@pytest.mark.parametrize("env, expected", [
    ({"MINIGRAD_NUM_THREADS": "3", "OMP_NUM_THREADS": "1"}, 3),
    ({"OMP_NUM_THREADS": "1"}, 1),
    ({"OMP_NUM_THREADS": "2,1"}, 2),       # OpenMP's nested form: the outer level
    ({"MINIGRAD_NUM_THREADS": "zero", "OMP_NUM_THREADS": "2"}, 2),
])
def test_default_thread_count_follows_the_environment(monkeypatch, env, expected):
    for variable in ("MINIGRAD_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    assert _threads._default_threads() == expected


def test_blas_keeps_its_threads_until_the_crew_first_runs():
    """In a fresh process with 2 threads: OpenBLAS may thread minigrad's GEMMs until a
    conv runs on the crew; from then on they are held to one BLAS thread."""
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from minigrad.kernels import _threads, conv\n"
        "before = _threads.blas_may_thread()\n"
        "x = np.ones((8, 4, 6, 6), np.float32); w = np.ones((4, 4, 3, 3), np.float32)\n"
        "conv.conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1), 1)\n"
        "print(before, _threads.blas_may_thread(), _threads._pool is not None)\n"
    )
    env = dict(os.environ, MINIGRAD_NUM_THREADS="2")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True, timeout=120)
    if _threads._openblas is None:
        pytest.skip("NumPy is not using a known OpenBLAS: no crew is started")
    assert done.stdout.split() == ["True", "False", "True"]


def test_one_thread_never_lets_blas_thread():
    before = mg.get_num_threads()
    mg.set_num_threads(1)
    try:
        assert not _threads.blas_may_thread()
    finally:
        mg.set_num_threads(before)


def test_wait_for_change_sees_a_store_made_by_another_thread():
    # an ordinary load would be hoisted out of the poll loop: the wait would then
    # return False at once, never seeing the store
    from minigrad.kernels._lazy import load_numba

    load_numba()
    from minigrad.kernels._spin import wait_for_change

    flags = np.zeros(2, dtype=np.int64)
    timer = threading.Timer(0.05, flags.__setitem__, (1, 7))
    timer.start()
    try:
        assert wait_for_change(flags, 1, 0, 10**10)  # about 15 s of polls at most
    finally:
        timer.cancel()
    assert not wait_for_change(flags, 1, 7, 1000)  # unchanged: gives up after its polls
    assert not wait_for_change(flags, 0, 0, 0)


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads Linux's /proc")
@pytest.mark.skipif(_threads._openblas is None, reason="no crew without OpenBLAS")
def test_crew_threads_are_asleep_soon_after_the_last_chunk(three_threads):
    _threads.run_chunks(lambda start, stop: None, [(0, 1), (1, 2), (2, 3)])
    time.sleep(0.2)  # the poll lasts about 0.3 ms
    crew = [t for t in threading.enumerate() if t.name.startswith("minigrad-")]
    assert crew
    states = {}
    for thread in crew:
        with open(f"/proc/self/task/{thread.native_id}/stat") as stat:
            states[thread.name] = stat.read().rsplit(")", 1)[1].split()[0]
    assert set(states.values()) == {"S"}, states  # S: sleeping, R: running (spinning)

"""Multi-process tests: real MPI ranks launched with `mpiexec -n 2` in a subprocess.

They need the `mpi` extra (mpi4py and an mpiexec, e.g. `pip install mpi4py mpich`)
and are skipped, with that reason, when it is missing. Each launch costs a few
seconds (two Python processes importing minigrad on a shared 2-core machine), so
one launch covers all the equivalence and resume cases.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from minigrad.distributed import Communicator
from tests.distributed import mpi_worker

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _mpiexec():
    try:
        import mpi4py  # noqa: F401
    except ImportError as exc:  # missing, or present but broken (no MPI library)
        pytest.skip(f"the mpi extra is not usable ({exc}): pip install 'minigrad[mpi]' "
                    f"(mpi4py, mpich)")
    beside_python = pathlib.Path(sys.executable).parent / "mpiexec"
    found = str(beside_python) if beside_python.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip("mpi4py is installed but no mpiexec was found next to Python or on PATH")
    return found


def launch(ranks, *args, timeout=120, env=None):
    """Run `mpiexec -n ranks python -m tests.distributed.mpi_worker *args`.

    Returns (CompletedProcess, seconds it took)."""
    command = [_mpiexec(), "-n", str(ranks), sys.executable, "-m",
               "tests.distributed.mpi_worker", *map(str, args)]
    environment = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                       NUMBA_NUM_THREADS="1", PYTHONPATH=str(ROOT), **(env or {}))
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True,
                            timeout=timeout)
    return result, time.perf_counter() - start


@pytest.fixture(scope="module")
def two_rank_run(tmp_path_factory):
    """The single-process reference (global batch 16), then the same cases on 2 ranks
    with batch 8 each; the 2-rank run also resumes the reference's epoch-1 checkpoint."""
    out = tmp_path_factory.mktemp("mpi")
    local = Communicator()
    reference = {}
    for case in mpi_worker.CASES:
        reference[case] = mpi_worker.run_case(
            case, local, save_after_epoch_1=out / f"{case}-k1-epoch1.npz")
    result, _ = launch(2, "train", out, out / "sgd-k1-epoch1.npz")
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [dict(np.load(out / f"rank{r}.npz")) for r in range(2)]
    return out, reference, ranks


@pytest.mark.parametrize("case", mpi_worker.CASES)
def test_two_ranks_of_batch_b_match_one_process_of_batch_2b(two_rank_run, case):
    _, reference, ranks = two_rank_run
    state, losses = reference[case]
    for name, value in state.items():
        for rank in ranks:  # every replica, not just rank 0
            np.testing.assert_allclose(rank[f"{case}/{name}"], value, rtol=1e-9, atol=1e-11,
                                       err_msg=f"{case}: {name}")
    # the reduced per-epoch loss is the global mean loss of the one-process run
    np.testing.assert_allclose(ranks[0][f"{case}/losses"], losses, rtol=1e-10)
    assert losses[1] < losses[0]  # and training did something


def test_gradients_go_in_buckets_not_one_call_per_tensor(two_rank_run):
    _, _, ranks = two_rank_run
    steps = 3 * 2 * 4 + 4  # 3 cases x 2 epochs x 4 steps, plus 4 resumed steps
    # at bucket_mb=0.001 (1 KiB) the 4 or 6 tensors of each model fit into 2 buckets
    calls = int(ranks[0]["allreduce_calls"])
    assert calls < steps * 4, calls


def test_checkpoint_moves_between_one_and_two_ranks(two_rank_run):
    out, reference, ranks = two_rank_run
    # 1 rank -> 2 ranks: the 2-rank run resumed the one-process epoch-1 checkpoint
    for name, value in reference["sgd"][0].items():
        np.testing.assert_allclose(ranks[1][f"resumed/{name}"], value, rtol=1e-9, atol=1e-11)
    # 2 ranks -> 1 rank: one process resumes what rank 0 wrote after epoch 1
    state, _ = mpi_worker.run_case("sgd", Communicator(),
                                   start_checkpoint=out / "sgd-k2-epoch1.npz")
    for name, value in reference["sgd"][0].items():
        np.testing.assert_allclose(state[name], value, rtol=1e-9, atol=1e-11)


def test_a_rank_that_raises_aborts_the_job_quickly(tmp_path):
    result, seconds = launch(2, "raise", tmp_path, timeout=60)
    assert result.returncode != 0
    assert "rank 1 of 2 failed; aborting all ranks" in result.stderr
    assert "rank 1 fails on purpose at step 2" in result.stderr
    assert seconds < 30


def test_a_rank_that_hangs_is_timed_out(tmp_path):
    result, seconds = launch(2, "hang", tmp_path, env={"WORKER_TIMEOUT": "2"}, timeout=60)
    assert result.returncode != 0
    assert "Barrier did not complete within 2 s" in result.stderr
    assert seconds < 30  # rank 1 would sleep 120 s: the timeout, not rank 1, ended the run


def test_distributed_trainer_on_two_ranks_matches_one_process(tmp_path):
    """History (train and sharded validation metrics), weights and checkpoints of
    DistributedTrainer: 2 ranks x batch 8 against 1 process x batch 16, and resuming
    across the two (1 -> 2 ranks and 2 -> 1 rank)."""
    local = Communicator()
    trainer, model = mpi_worker.fit_trainer(local, tmp_path / "k1-full", epochs=2)
    mpi_worker.fit_trainer(local, tmp_path / "k1-one-epoch", epochs=1)
    result, _ = launch(2, "trainer", tmp_path, tmp_path / "k1-one-epoch" / "last.npz")
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [dict(np.load(tmp_path / f"trainer-rank{r}.npz")) for r in range(2)]
    history = np.array([[row[key] for key in mpi_worker.HISTORY_KEYS]
                        for row in trainer.history.rows])
    np.testing.assert_allclose(ranks[0]["full/history"], history, rtol=1e-9)
    np.testing.assert_array_equal(ranks[1]["full/confusion"], trainer.last_confusion)
    assert trainer.last_confusion.sum() == 21  # each validation sample counted once
    state = model.state_dict()
    for name, value in state.items():
        for rank in ranks:
            np.testing.assert_allclose(rank[f"full/{name}"], value, rtol=1e-9, atol=1e-11)
            np.testing.assert_allclose(rank[f"resumed/{name}"], value, rtol=1e-9, atol=1e-11)
    # only rank 0 wrote: one set of files, no temporary leftovers
    written = sorted(p.name for p in (tmp_path / "k2-full").iterdir())
    assert {"last.npz", "best.npz", "history.json", "loss.png"} <= set(written)
    assert not [name for name in written if name.startswith(".tmp")]
    _, resumed = mpi_worker.fit_trainer(local, tmp_path / "k1-resumed", epochs=2,
                                        resume=tmp_path / "k2-one-epoch" / "last.npz")
    for name, value in state.items():
        np.testing.assert_allclose(resumed.state_dict()[name], value, rtol=1e-9, atol=1e-11)


@pytest.mark.slow
def test_float32_cnn_with_sync_batch_norm_on_two_ranks_matches_one_process(tmp_path):
    reference = mpi_worker.run_cnn_float32(Communicator())
    result, _ = launch(2, "cnn", tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    for rank in range(2):
        state = np.load(tmp_path / f"cnn-rank{rank}.npz")
        for name, value in reference.items():
            assert state[name].dtype == value.dtype
            np.testing.assert_allclose(state[name], value, rtol=2e-4, atol=2e-5, err_msg=name)


def launch_cli(ranks, *args, timeout=180):
    """`mpiexec -n ranks python -m minigrad *args` -> (CompletedProcess, seconds)."""
    command = [_mpiexec(), "-n", str(ranks), sys.executable, "-m", "minigrad", *map(str, args)]
    environment = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                       NUMBA_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True,
                            timeout=timeout)
    return result, time.perf_counter() - start


def test_minigrad_train_distributed_runs_resumes_on_fewer_ranks_and_fails_cleanly(tmp_path):
    out = tmp_path / "run"
    quick = ["--dataset", "digits", "--limit", "300", "--model", "mlp", "--no-progress"]
    result, _ = launch_cli(2, "train", "--distributed", *quick, "--epochs", "2",
                           "--out", out, "--sync-bn", "--lr-scaling", "linear",
                           "--warmup-epochs", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("trained mlp on digits") == 1  # rank 0 alone reports
    assert result.stdout.count("epoch   2") == 1
    config = json.loads((out / "config.json").read_text())
    assert config["world_size"] == 2 and config["global_batch_size"] == 128
    assert config["lr"] == pytest.approx(2 * config["base_lr"])
    lrs = [row["lr"] for row in json.loads((out / "history.json").read_text())]
    assert lrs[0] == pytest.approx(config["base_lr"])  # warmup starts from the 1-rank lr
    # the same global batch on 1 rank continues the run from its last checkpoint
    result, _ = launch_cli(1, "train", "--distributed", *quick, "--epochs", "3",
                           "--batch-size", "128", "--sync-bn", "--lr-scaling", "linear",
                           "--warmup-epochs", "1", "--resume", out / "last.npz")
    assert result.returncode == 0, result.stderr[-3000:]
    assert [row["epoch"] for row in json.loads((out / "history.json").read_text())] == [1, 2, 3]
    # a rank that fails (rank 0 cannot read the checkpoint) ends the job, non-zero, quickly
    result, seconds = launch_cli(2, "train", "--distributed", *quick,
                                 "--resume", tmp_path / "missing" / "last.npz", timeout=60)
    assert result.returncode != 0 and seconds < 30
    assert "rank 0 of 2 failed (FileNotFoundError" in result.stderr

import numpy as np
import pytest

import minigrad as mg
import minigrad.distributed.comm as comm_module
from minigrad.distributed import (
    Communicator,
    DistributedError,
    DistributedTimeoutError,
    init,
    launched_by_mpi,
)
from minigrad.distributed.comm import MPIBackend
from tests.distributed.threads import run_ranks


@pytest.fixture
def fresh_world(monkeypatch):
    """init() caches the world and installs an excepthook: undo both after the test."""
    import sys

    monkeypatch.setattr(comm_module, "_WORLD", None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    for name in comm_module._LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_one_process_world_has_identity_collectives(fresh_world):
    world = init()
    assert (world.rank, world.size, world.is_main, world.backend) == (0, 1, True, "local")
    assert init() is world  # created once
    array = np.arange(6.0)
    assert world.allreduce_(array) is array and array.tolist() == list(range(6))
    assert world.broadcast_object({"epoch": 3, "lr": [0.1]}) == {"epoch": 3, "lr": [0.1]}
    assert world.allreduce(np.array([1, 2], dtype=np.int32)).dtype == np.int64
    world.barrier()


def test_launcher_detection_and_missing_mpi4py_is_a_clear_error(fresh_world, monkeypatch):
    assert not launched_by_mpi()
    monkeypatch.setenv("PMI_SIZE", "2")
    assert launched_by_mpi()
    monkeypatch.setitem(__import__("sys").modules, "mpi4py", None)  # import fails
    with pytest.raises(DistributedError, match=r"started by an MPI launcher.*minigrad\[mpi\]"):
        init()


def test_init_rejects_an_unknown_backend(fresh_world):
    with pytest.raises(DistributedError, match="backend must be 'auto', 'mpi' or 'local', got "
                                               "'nccl'"):
        init(backend="nccl")


def test_collectives_need_contiguous_arrays():
    with pytest.raises(DistributedError, match="allreduce_: expected a C-contiguous"):
        Communicator().allreduce_(np.zeros((4, 4))[:, 0])


@pytest.mark.parametrize("size", [2, 3])
def test_metrics_are_weighted_by_each_ranks_sample_count(size):
    counts = [5, 2, 9][:size]
    losses = [0.5, 1.5, 3.0][:size]
    reduced = run_ranks(size, lambda comm: comm.allreduce_metrics(
        {"loss": losses[comm.rank], "acc": 1.0 / (comm.rank + 1)}, count=counts[comm.rank]))
    expected = np.dot(losses, counts) / sum(counts)
    expected_acc = np.dot([1.0 / (r + 1) for r in range(size)], counts) / sum(counts)
    for metrics in reduced:
        assert metrics["loss"] == pytest.approx(expected)
        assert metrics["acc"] == pytest.approx(expected_acc)


def test_broadcast_object_and_arrays_come_from_the_root():
    def work(comm):
        array = np.full(3, float(comm.rank))
        comm.broadcast_(array, root=1)
        return array.tolist(), comm.broadcast_object(f"from {comm.rank}", root=1)

    assert run_ranks(3, work) == [([1.0] * 3, "from 1")] * 3


class _Rank:
    """A communicator backend that only claims a rank (no collectives are called)."""

    name, size = "fake", 2

    def __init__(self, rank):
        self.rank = rank


def test_rank_zero_helpers(capsys):
    main, other = Communicator(_Rank(0)), Communicator(_Rank(1))
    main.print("shown")
    other.print("hidden")
    assert capsys.readouterr().out == "shown\n"
    calls = []
    assert main.main_only(lambda: calls.append(0) or "done")() == "done"
    assert other.main_only(lambda: calls.append(1))() is None
    assert calls == [0]


def test_diversify_rng_gives_other_ranks_their_own_repeatable_stream():
    def draws(rank):
        mg.manual_seed(5)
        Communicator(_Rank(rank)).diversify_rng()
        return mg.rng.default_generator().random(4)

    untouched = mg.manual_seed(5).random(4)
    np.testing.assert_array_equal(draws(0), untouched)  # rank 0 keeps the checkpointed state
    assert not np.allclose(draws(1), untouched)
    np.testing.assert_array_equal(draws(1), draws(1))
    assert not np.allclose(draws(1), draws(2))


class _NeverDone:
    def Test(self):  # noqa: N802  (mpi4py's name)
        return False


def test_a_collective_that_never_completes_times_out_with_its_name():
    backend = object.__new__(MPIBackend)  # no MPI needed to test the wait loop
    backend.rank, backend.size, backend.timeout = 1, 4, 0.05
    with pytest.raises(DistributedTimeoutError,
                       match=r"rank 1 of 4: Allreduce of 8 float32 values did not complete "
                             r"within 0.05 s"):
        backend._wait(_NeverDone(), "Allreduce of 8 float32 values")


def test_a_rank_without_samples_does_not_poison_the_mean():
    reduced = run_ranks(2, lambda comm: comm.allreduce_metrics(
        {"loss": float("nan") if comm.rank else 0.25}, count=0 if comm.rank else 3))
    assert reduced == [{"loss": 0.25}] * 2

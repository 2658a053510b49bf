"""What each MPI rank runs in tests/distributed (launched with mpiexec by the tests).

    mpiexec -n 2 python -m tests.distributed.mpi_worker <scenario> <out_dir> [checkpoint]

Scenarios: "train" (the equivalence and resume cases), "trainer" (the same through
DistributedTrainer, with checkpoints and metrics), "cnn" (float32 CNN with
SyncBatchNorm), "raise" (rank 1 raises), "hang" (rank 1 stops answering).
`run_case` and the other builders are also called by the tests in one process,
as the reference the K ranks must reproduce.
"""

import os
import sys
import time

import numpy as np

import minigrad as mg
import minigrad.distributed as distributed
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import TensorDataset
from minigrad.optim import LARS, SGD
from minigrad.train.checkpoint import load_checkpoint, save_checkpoint

GLOBAL_BATCH = 16
EPOCHS = 2
SEED = 7
CASES = ("sgd", "syncbn", "lars")


def dataset():
    """64 samples, 6 features, 3 classes (fixed, identical on every rank)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6))
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return TensorDataset(x, y)


def build(case, comm):
    # a different initialisation on every rank: the broadcast from rank 0 must fix it
    mg.manual_seed(100 + comm.rank)
    middle = [nn.BatchNorm1d(16)] if case == "syncbn" else []
    model = nn.Sequential(nn.Linear(6, 16), *middle, nn.Tanh(), nn.Linear(16, 3)).double()
    if case == "syncbn":
        model = distributed.convert_sync_batchnorm(model, comm)
    comm.broadcast_module(model)
    if case == "lars":
        optimizer = LARS(model.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-3,
                         trust_coefficient=0.02)
    else:
        optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    return model, optimizer


def run_case(case, comm, start_checkpoint=None, save_after_epoch_1=None):
    """Train EPOCHS epochs with global batch GLOBAL_BATCH split over comm.size ranks.

    Returns (state_dict of the final model, mean training loss of each epoch).
    """
    model, optimizer = build(case, comm)
    loader = distributed.DistributedDataLoader(dataset(), batch_size=GLOBAL_BATCH // comm.size,
                                               seed=SEED, comm=comm)
    first_epoch = 0
    if start_checkpoint:
        first_epoch = load_checkpoint(start_checkpoint, model, optimizer)["epoch"]
    losses = []
    for epoch in range(first_epoch, EPOCHS):
        loader.set_epoch(epoch)
        model.train()
        total = 0.0
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            comm.average_gradients(model.parameters(), bucket_mb=0.001)
            optimizer.step()
            total += loss.item() * len(y)
        losses.append(comm.allreduce_metrics({"loss": total / loader.num_samples},
                                             loader.num_samples)["loss"])
        if save_after_epoch_1 and epoch == 0 and comm.is_main:
            save_checkpoint(save_after_epoch_1, model, optimizer, epoch=1)
    return model.state_dict(), losses


def scenario_train(comm, out_dir, reference_checkpoint):
    results = {}
    for case in CASES:
        state, losses = run_case(case, comm, save_after_epoch_1=os.path.join(
            out_dir, f"{case}-k{comm.size}-epoch1.npz"))
        results.update({f"{case}/{k}": v for k, v in state.items()})
        results[f"{case}/losses"] = np.array(losses)
    state, _ = run_case("sgd", comm, start_checkpoint=reference_checkpoint)
    results.update({f"resumed/{k}": v for k, v in state.items()})
    results["allreduce_calls"] = np.array(comm.stats["allreduce_calls"])
    np.savez(os.path.join(out_dir, f"rank{comm.rank}.npz"), **results)


def fit_trainer(comm, out_dir, epochs, resume=None):
    """DistributedTrainer on the same data: momentum SGD, a cosine schedule stepped per
    batch, 21 validation samples sharded unevenly. Returns (trainer, model)."""
    from minigrad.distributed import DistributedSampler, DistributedTrainer
    from minigrad.optim.lr_scheduler import CosineAnnealingLR

    model, optimizer = build("syncbn", comm)
    train = distributed.DistributedDataLoader(dataset(), batch_size=GLOBAL_BATCH // comm.size,
                                              seed=SEED, comm=comm)
    rng = np.random.default_rng(1)
    x_val = rng.normal(size=(21, 6))
    y_val = (x_val[:, 0] > 0).astype(np.int64)
    val = distributed.DistributedDataLoader(
        TensorDataset(x_val, y_val), batch_size=4,
        sampler=DistributedSampler(21, shuffle=False, pad=False, comm=comm))
    scheduler = CosineAnnealingLR(optimizer, T_max=2 * len(train))
    trainer = DistributedTrainer(model, optimizer, scheduler=scheduler,
                                 scheduler_interval="batch", out_dir=str(out_dir), progress=False,
                                 num_classes=3, log=None, comm=comm)
    trainer.fit(train, val, epochs=epochs, resume=resume)
    return trainer, model


def scenario_trainer(comm, out_dir, resume):
    trainer, model = fit_trainer(comm, os.path.join(out_dir, "k2-full"), epochs=2)
    results = {f"full/{k}": v for k, v in model.state_dict().items()}
    results["full/history"] = np.array([[row[key] for key in HISTORY_KEYS]
                                        for row in trainer.history.rows])
    results["full/confusion"] = trainer.last_confusion
    fit_trainer(comm, os.path.join(out_dir, "k2-one-epoch"), epochs=1)
    _, model = fit_trainer(comm, os.path.join(out_dir, "k2-resumed"), epochs=2, resume=resume)
    results.update({f"resumed/{k}": v for k, v in model.state_dict().items()})
    np.savez(os.path.join(out_dir, f"trainer-rank{comm.rank}.npz"), **results)


HISTORY_KEYS = ("epoch", "lr", "train_loss", "train_acc", "val_loss", "val_acc", "val_top5")


def run_cnn_float32(comm, steps=6):
    """A float32 CNN with SyncBatchNorm: the everyday case (conv, pooling, float32).
    Returns the final state_dict."""
    mg.manual_seed(100 + comm.rank)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    model = distributed.convert_sync_batchnorm(model, comm)
    comm.broadcast_module(model)
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(3)
    images = rng.normal(size=(48, 1, 8, 8)).astype(np.float32)
    labels = (images[:, 0, :4].mean(axis=(1, 2)) > 0).astype(np.int64)
    loader = distributed.DistributedDataLoader(TensorDataset(images, labels),
                                               batch_size=GLOBAL_BATCH // comm.size,
                                               seed=SEED, comm=comm)
    done = 0
    while done < steps:
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            comm.average_gradients(model.parameters())
            optimizer.step()
            done += 1
    return model.state_dict()


def scenario_cnn(comm, out_dir):
    np.savez(os.path.join(out_dir, f"cnn-rank{comm.rank}.npz"), **run_cnn_float32(comm))


def scenario_raise(comm, out_dir):
    model, optimizer = build("sgd", comm)
    for step in range(1000):
        if comm.rank == 1 and step == 2:
            raise RuntimeError("rank 1 fails on purpose at step 2")
        loss = F.cross_entropy(model(mg.tensor(np.ones((4, 6)))), np.zeros(4, dtype=np.int64))
        loss.backward()
        comm.average_gradients(model.parameters())


def scenario_hang(comm, out_dir):
    comm.barrier()
    if comm.rank == 1:
        time.sleep(120)  # a rank that stops answering (stuck, or its host is gone)
    comm.barrier()


def main(argv):
    scenario, out_dir = argv[0], argv[1]
    timeout = float(os.environ.get("WORKER_TIMEOUT", "60"))
    comm = distributed.init(timeout=timeout)
    if scenario == "train":
        scenario_train(comm, out_dir, argv[2])
    elif scenario == "trainer":
        scenario_trainer(comm, out_dir, argv[2])
    elif scenario == "cnn":
        scenario_cnn(comm, out_dir)
    elif scenario == "raise":
        scenario_raise(comm, out_dir)
    elif scenario == "hang":
        scenario_hang(comm, out_dir)
    else:
        raise SystemExit(f"mpi_worker: unknown scenario {scenario!r}")


if __name__ == "__main__":
    main(sys.argv[1:])

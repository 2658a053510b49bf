"""One epoch of Fashion-MNIST training: minigrad against PyTorch on the same problem.

Claim (issue 6): with the same initial weights and the same batch order,
    CNN epoch time <= 1.5x PyTorch's, MLP <= 1.2x, test accuracy within 0.5 points.

Setup: 60,000 training images (standardised with the training mean/std), batch 64,
SGD momentum 0.9, lr 0.01, cross-entropy; then accuracy on the 10,000 test images.
    MLP  784-256-128-10 with ReLU
    CNN  conv(1->32,3,p1)-ReLU-maxpool2-conv(32->64,3,p1)-ReLU-maxpool2-
         linear(3136->128)-ReLU-linear(128->10)
Each (framework, model) pair runs in its own process; its peak resident memory is
measured from after the data set is loaded (about 210 MB as float32, included in
both) to the end of the test pass (Linux VmHWM after a clear_refs reset).
The minigrad model is built first with a fixed seed and its weights are copied into
the PyTorch model; the batch order comes from one permutation both runs share.

Data: /usr/share/datasets/fashion-mnist (`apt-get install dataset-fashion-mnist`),
or $MINIGRAD_DATA / ~/.cache/minigrad (see minigrad.data.datasets).

    python benchmarks/bench_train.py                      # both models, full epoch
    python benchmarks/bench_train.py --models mlp --limit 6400   # a quick look
    python benchmarks/bench_train.py --models mlp --repeats 3    # fastest of three epochs
    python benchmarks/bench_train.py --threads 1                 # one thread each
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

BATCH, LR, MOMENTUM, SEED = 64, 0.01, 0.9, 0
TARGET_RATIO = {"mlp": 1.2, "cnn": 1.5}


def load(limit):
    from minigrad.data import load_fashion_mnist

    splits = load_fashion_mnist(download=False)
    x_train, y_train = splits.x_train, splits.y_train
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    mean, std = x_train.mean(), x_train.std()
    x_train = (x_train - mean) / std
    x_test = (splits.x_test - mean) / std
    order = np.random.default_rng(SEED).permutation(len(y_train))
    return x_train.astype(np.float32), y_train, x_test.astype(np.float32), splits.y_test, order


def minigrad_model(name):
    import minigrad as mg
    from minigrad.train.models import build_model

    mg.manual_seed(SEED)
    if name == "mlp":
        return build_model("mlp", (1, 28, 28), 10)
    return build_model("cnn", (1, 28, 28), 10)


def torch_model(name, reference):
    """The same architecture in PyTorch, with the minigrad model's initial weights."""
    import torch
    from torch import nn

    if name == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                              nn.ReLU(), nn.Linear(128, 10))
    else:
        model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    ours = list(reference.state_dict().values())
    theirs = list(model.parameters())
    assert [tuple(a.shape) for a in ours] == [tuple(p.shape) for p in theirs]
    with torch.no_grad():
        for param, value in zip(theirs, ours):
            param.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return model


def warm_up_minigrad(name, x_train, y_train):
    """Two steps on a throwaway model, so Numba's one-time compilation of the kernels
    is not counted in the epoch (PyTorch ships compiled code)."""
    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad.optim import SGD

    model = minigrad_model(name)
    opt = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    for _ in range(2):  # the second step is the first with a momentum buffer
        loss = F.cross_entropy(model(mg.Tensor(x_train[:BATCH])), y_train[:BATCH])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with mg.no_grad():
        model.eval()
        model(mg.Tensor(x_train[:BATCH]))


def run_minigrad(name, x_train, y_train, x_test, y_test, order):
    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad.optim import SGD

    warm_up_minigrad(name, x_train, y_train)
    model = minigrad_model(name)
    opt = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    model.train()
    start = time.perf_counter()
    for begin in range(0, len(order), BATCH):
        index = order[begin:begin + BATCH]
        loss = F.cross_entropy(model(mg.Tensor(x_train[index])), y_train[index])
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    model.eval()
    correct = 0
    with mg.no_grad():
        for begin in range(0, len(y_test), 1000):
            logits = model(mg.Tensor(x_test[begin:begin + 1000])).numpy()
            correct += int((logits.argmax(axis=1) == y_test[begin:begin + 1000]).sum())
    return seconds, correct / len(y_test)


def run_torch(name, x_train, y_train, x_test, y_test, order):
    import torch

    model = torch_model(name, minigrad_model(name))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x_train_t, y_train_t = torch.from_numpy(x_train), torch.from_numpy(y_train)
    warm = torch_model(name, minigrad_model(name))  # same treatment as minigrad's warm-up
    for _ in range(2):
        torch.nn.functional.cross_entropy(warm(x_train_t[:BATCH]), y_train_t[:BATCH]).backward()
    order_t = torch.from_numpy(order)
    model.train()
    start = time.perf_counter()
    for begin in range(0, len(order), BATCH):
        index = order_t[begin:begin + BATCH]
        loss = torch.nn.functional.cross_entropy(model(x_train_t[index]), y_train_t[index])
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    model.eval()
    correct = 0
    with torch.no_grad():
        for begin in range(0, len(y_test), 1000):
            logits = model(torch.from_numpy(x_test[begin:begin + 1000])).numpy()
            correct += int((logits.argmax(axis=1) == y_test[begin:begin + 1000]).sum())
    return seconds, correct / len(y_test)


def reset_peak_memory():
    """Forget the high-water mark of resident memory (Linux: clear_refs 5), so the peak
    measured afterwards is that of training, not of decompressing the data set."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_memory_mb():
    """VmHWM, the peak resident set since the last reset, in MB (Linux)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(framework, name, limit, repeats):
    """Run one (framework, model) pair `repeats` times and print a JSON line with the
    fastest epoch (the machine is shared: the minimum is the least disturbed run)."""
    data = load(limit)
    if framework == "torch":
        import torch  # imported before the reset: its libraries are not training memory
    reset_peak_memory()
    run = run_torch if framework == "torch" else run_minigrad
    threads = int(os.environ.get("MINIGRAD_BENCH_THREADS", 0)) or None
    if framework == "torch":
        if threads:
            torch.set_num_threads(threads)
        threads = torch.get_num_threads()
    else:
        import minigrad as mg

        threads = mg.get_num_threads()
    times = []
    for _ in range(repeats):
        seconds, accuracy = run(name, *data)
        times.append(seconds)
    print(json.dumps({"framework": framework, "model": name, "epoch_s": min(times),
                      "epoch_s_all": times, "test_acc": accuracy,
                      "peak_rss_mb": peak_memory_mb(), "threads": threads}))


def spawn(framework, name, limit, repeats, threads):
    command = [sys.executable, __file__, "--child", framework, "--models", name,
               "--repeats", str(repeats)]
    if limit:
        command += ["--limit", str(limit)]
    env = dict(os.environ)
    if threads:
        # both libraries read these at start-up; PyTorch also gets set_num_threads
        env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   NUMBA_NUM_THREADS=str(threads), MINIGRAD_NUM_THREADS=str(threads),
                   MINIGRAD_BENCH_THREADS=str(threads))
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{framework} {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(results):
    print(f"{'model':<5} {'framework':<9} {'epoch s':>8} {'test acc':>9} {'peak MB':>8}")
    for r in results:
        print(f"{r['model']:<5} {r['framework']:<9} {r['epoch_s']:8.2f} {r['test_acc']:9.4f} "
              f"{r['peak_rss_mb']:8.0f}")
    for name in dict.fromkeys(r["model"] for r in results):
        pair = {r["framework"]: r for r in results if r["model"] == name}
        if "torch" not in pair:
            continue
        ratio = pair["minigrad"]["epoch_s"] / pair["torch"]["epoch_s"]
        gap = 100 * (pair["minigrad"]["test_acc"] - pair["torch"]["test_acc"])
        verdict = "meets" if ratio <= TARGET_RATIO[name] and abs(gap) <= 0.5 else "misses"
        print(f"{name}: time ratio {ratio:.2f}x (target <= {TARGET_RATIO[name]}x), accuracy "
              f"gap {gap:+.2f} points (target within 0.5): {verdict} the target")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images")
    parser.add_argument("--repeats", type=int, default=1,
                        help="epochs per run, each from the same initial weights; the "
                             "fastest is reported")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both frameworks (BLAS, OpenMP, Numba, torch); "
                             "default: each library's own choice")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    names = [n.strip() for n in args.models.split(",")]
    if args.child:
        child(args.child, names[0], args.limit, args.repeats)
        return
    try:
        import torch  # noqa: F401

        frameworks = ["minigrad", "torch"]
    except ImportError:
        frameworks = ["minigrad"]
        print("PyTorch is not installed: timing minigrad alone")
    results = [spawn(fw, name, args.limit, args.repeats, args.threads) for name in names
               for fw in frameworks]
    report(results)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()

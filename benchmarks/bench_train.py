"""One training epoch, minigrad against PyTorch: same data, weights, batch order, recipe.

    python benchmarks/bench_train.py [--models cnn,mlp] [--limit 12800] [--pairs 4]
                                     [--threads 1] [--torch-imported]

Data: Fashion-MNIST from /usr/share/datasets/fashion-mnist (`apt-get install
dataset-fashion-mnist`); without it, the 8x8 digits embedded in minigrad, which the
output then says. Standardised with the training mean and std. Batch 64, SGD with
momentum 0.9, lr 0.01, cross-entropy; then accuracy on the test images.
    mlp  784-256-128-10 with ReLU
    cnn  conv(1->32,3,p1)-ReLU-maxpool2-conv(32->64,3,p1)-ReLU-maxpool2-
         linear(->128)-ReLU-linear(128->10)   (minigrad.train.models.cnn)
The initial weights (PyTorch's default rule, U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and
the batch order are drawn by the driver with NumPy and loaded by both workers, so
the two runs do the same arithmetic. Each (framework, model) runs alone in a fresh
process (benchmarks/_harness.py); before the timed epoch, two steps on a throwaway
copy of the model let minigrad compile its kernels (PyTorch ships compiled code).
With --torch-imported the second contender is minigrad again, in a process that
imported torch first: the ratio is what sharing a process with PyTorch costs.
The epoch's wall time is the measurement; test accuracy and the peak resident memory
of training (Linux VmHWM, reset after the data are loaded) are printed below it.
"""

import numpy as np
from _harness import image_classification_data, main, requested_threads

BATCH, LR, MOMENTUM, SEED = 64, 0.01, 0.9, 0
WARMUP_STEPS = 2


def layer_shapes(model, image_shape):
    """{state_dict key: shape} of both frameworks' nn.Sequential (same indices)."""
    channels, height, width = image_shape
    if model == "mlp":
        sizes = [(1, channels * height * width, 256), (3, 256, 128), (5, 128, 10)]
        return {f"{i}.{kind}": ((out, fan_in) if kind == "weight" else (out,))
                for i, fan_in, out in sizes for kind in ("weight", "bias")}
    flat = 64 * (height // 4) * (width // 4)
    return {"0.weight": (32, channels, 3, 3), "0.bias": (32,), "3.weight": (64, 32, 3, 3),
            "3.bias": (64,), "7.weight": (128, flat), "7.bias": (128,),
            "9.weight": (10, 128), "9.bias": (10,)}


def initial_weights(model, image_shape, seed):
    """PyTorch's default initialisation, drawn with NumPy: every weight and bias of a
    layer with fan-in f uniform in [-1/sqrt(f), 1/sqrt(f)]."""
    r = np.random.default_rng(seed)
    shapes = layer_shapes(model, image_shape)
    weights = {}
    for key, shape in shapes.items():
        weight_shape = shapes[key.split(".")[0] + ".weight"]
        bound = 1 / np.sqrt(np.prod(weight_shape[1:]))
        weights[key] = r.uniform(-bound, bound, shape).astype(np.float32)
    return weights


def prepare(args):
    description, x_train, y_train, x_test, y_test = image_classification_data(args.limit)
    print(f"data: {description}, {len(y_test)} test images")
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test,
              "order": np.random.default_rng(SEED).permutation(len(y_train))}
    arrays.update(weight_arrays(args.models.split(","), x_train.shape[1:]))
    return arrays


def add_arguments(parser):
    parser.add_argument("--models", default="cnn,mlp")
    parser.add_argument("--torch-imported", action="store_true",
                        help="instead of PyTorch, compare with minigrad run in a process "
                             "that imported torch first (what that import costs minigrad)")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images")


def weight_arrays(models, image_shape):
    """{"model/key": initial weight} for each model, as the data file stores them."""
    return {f"{model}/{key}": value for model in models
            for key, value in initial_weights(model, image_shape, SEED).items()}


def weights_of(data, model):
    prefix = model + "/"
    return {key[len(prefix):]: value for key, value in data.items() if key.startswith(prefix)}


def reset_peak_memory():
    """Forget the resident-memory high-water mark (Linux clear_refs 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def peak_memory_mb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def minigrad_worker(data, args):
    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad.optim import SGD
    from minigrad.train.models import build_model

    if requested_threads():
        mg.set_num_threads(requested_threads())
    model_name, x_train, y_train = args.variant, data["x_train"], data["y_train"]

    def fresh_model():
        model = build_model(model_name, x_train.shape[1:], 10)
        model.load_state_dict(weights_of(data, model_name))
        return model

    def epoch(model, order):
        opt = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        model.train()
        for begin in range(0, len(order), BATCH):
            index = order[begin:begin + BATCH]
            loss = F.cross_entropy(model(mg.tensor(x_train[index])), mg.tensor(y_train[index]))
            opt.zero_grad()
            loss.backward()
            opt.step()

    epoch(fresh_model(), data["order"][:WARMUP_STEPS * BATCH])  # compile the kernels
    model = fresh_model()
    reset_peak_memory()
    start = _now()
    epoch(model, data["order"])
    seconds = _now() - start
    model.eval()
    with mg.no_grad():
        logits = np.concatenate([model(mg.tensor(data["x_test"][i:i + 1000])).numpy()
                                 for i in range(0, len(data["y_test"]), 1000)])
    return {"epoch": seconds, "info": {"test_acc": _accuracy(logits, data["y_test"]),
                                       "peak_mb": peak_memory_mb(),
                                       "threads": mg.get_num_threads()}}


def torch_model(model_name, image_shape):
    from torch import nn

    channels, height, width = image_shape
    if model_name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(channels * height * width, 256), nn.ReLU(),
                             nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * (height // 4) * (width // 4), 128),
                         nn.ReLU(), nn.Linear(128, 10))


def torch_worker(data, args):
    import torch
    import torch.nn.functional as F

    if requested_threads():
        torch.set_num_threads(requested_threads())
    model_name = args.variant
    x_train, y_train = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"])

    def fresh_model():
        model = torch_model(model_name, data["x_train"].shape[1:])
        model.load_state_dict({k: torch.from_numpy(v) for k, v in
                               weights_of(data, model_name).items()})
        return model

    def epoch(model, order):
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        model.train()
        for begin in range(0, len(order), BATCH):
            index = order[begin:begin + BATCH]
            loss = F.cross_entropy(model(x_train[index]), y_train[index])
            opt.zero_grad()
            loss.backward()
            opt.step()

    order = torch.from_numpy(data["order"])
    epoch(fresh_model(), order[:WARMUP_STEPS * BATCH])  # the same treatment as minigrad
    model = fresh_model()
    reset_peak_memory()
    start = _now()
    epoch(model, order)
    seconds = _now() - start
    model.eval()
    with torch.no_grad():
        logits = np.concatenate([model(torch.from_numpy(data["x_test"][i:i + 1000])).numpy()
                                 for i in range(0, len(data["y_test"]), 1000)])
    return {"epoch": seconds, "info": {"test_acc": _accuracy(logits, data["y_test"]),
                                       "peak_mb": peak_memory_mb(),
                                       "threads": torch.get_num_threads()}}


def _now():
    import time

    return time.perf_counter()


def _accuracy(logits, labels):
    return float((logits.argmax(axis=1) == labels).mean())


def accuracy_lines(pairs, table, args, first, other):
    for name in (first, other):
        infos = [results[name]["info"] for _, results, _ in pairs]
        accs = ", ".join(f"{info['test_acc']:.4f}" for info in infos)
        print(f"  {name}: test accuracy per pair {accs}; peak training memory "
              f"{max(info['peak_mb'] for info in infos):.0f} MB; "
              f"threads {infos[0]['threads']}")


def minigrad_after_torch_worker(data, args):
    import torch  # noqa: F401  (loaded first, as in a process that uses both)

    return minigrad_worker(data, args)


def workers():
    import sys

    if "--torch-imported" in sys.argv:
        return {"minigrad": minigrad_worker, "minigrad+torch": minigrad_after_torch_worker}
    return {"minigrad": minigrad_worker, "torch": torch_worker}


if __name__ == "__main__":
    main(__doc__, prepare, workers(),
         add_arguments, unit="s", after=accuracy_lines,
         variants=lambda args: args.models.split(","))

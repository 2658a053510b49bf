"""Where a training step's time goes, minigrad against PyTorch, part by part.

    python benchmarks/profile_step.py [--models cnn,mlp] [--steps 200] [--pairs 3]
                                      [--threads N]

The step is bench_train.py's: batch 64 of Fashion-MNIST (or the embedded digits),
cross-entropy, zero_grad, backward, SGD with momentum 0.9. Each framework runs alone
in a fresh process (benchmarks/_harness.py) and reports, per step (medians over
--steps steps after a warm-up):
    step       the wall time of a step, measured with nothing instrumented
    conv       convolution kernels, forward and both gradients (their GEMMs included)
    pool       max-pool forward and backward
    matmul     the linear layers' matrix products (BLAS), forward and backward
    optimiser  optimizer.step()
    rest       the timed pass's step minus the four above: Python, building and
               walking the graph, elementwise NumPy or ATen work (ReLU, loss, sums),
               allocation
    timed pass the mean step of the pass in which the parts were timed
minigrad's parts are timed by wrapping its kernel functions (minigrad.kernels.conv,
.pool, .matmul) and the optimiser's step in a timer, in a second pass; PyTorch's come
from torch.profiler (the CPU totals of aten::convolution and its backward,
max_pool2d_with_indices and its backward, mm and addmm, Optimizer.step). Timers and
the profiler add their own cost to the step, so the parts are measured in a pass of
their own and `rest` is what that pass's step leaves: the profiler's own cost per op
lands in PyTorch's `rest` (compare `timed pass` with `step`). Allocation cannot be
split out of either: NumPy's and ATen's allocations happen inside the kernels and
ops that ask for memory.
"""

import statistics
import time

from _harness import image_classification_data, main, requested_threads, settle
from bench_train import BATCH, LR, MOMENTUM, torch_model, weight_arrays, weights_of

PARTS = ("conv", "pool", "matmul", "optimiser")


def prepare(args):
    description, x_train, y_train, _, _ = image_classification_data(limit=BATCH * 64)
    print(f"data: {description}; {args.steps} steps of batch {BATCH} per pass")
    return {"x_train": x_train, "y_train": y_train,
            **weight_arrays(args.models.split(","), x_train.shape[1:])}


def add_arguments(parser):
    parser.add_argument("--models", default="cnn,mlp")
    parser.add_argument("--steps", type=int, default=200)


def step_times(step, steps):
    """Median wall time of step(i) over `steps` calls, after 5 warm-up steps."""
    for i in range(5):
        step(i)
    settle()
    samples = []
    for i in range(steps):
        start = time.perf_counter()
        step(i)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def timed_pass(step, steps):
    """Mean wall time per step of `steps` calls of step(i) (the parts are totals)."""
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    return (time.perf_counter() - start) / steps


def with_parts(step_seconds, pass_seconds, parts_per_step):
    """The worker's report: the clean step, each part, the rest of the timed pass."""
    result = {"step": step_seconds}
    result.update({part: parts_per_step[part] for part in PARTS if part in parts_per_step})
    result["rest"] = pass_seconds - sum(parts_per_step.values())
    result["timed pass"] = pass_seconds
    return result


# --------------------------------------------------------------------------- minigrad
class _PartTimer:
    """Accumulates wall time per part; a call made inside a timed call (a conv
    kernel's own GEMM) counts only once, for the outer part."""

    def __init__(self):
        self.seconds, self.depth = {}, 0

    def wrap(self, function, part):
        def timed(*args, **kwargs):
            if self.depth:
                return function(*args, **kwargs)
            self.depth += 1
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[part] = self.seconds.get(part, 0.0) + time.perf_counter() - start
                self.depth -= 1
        return timed

    def wrap_module(self, module, part):
        """Time every public function defined in `module` (its kernels' entry points;
        the ops call them through the module, so the wrappers are what they call)."""
        for name in dir(module):
            value = getattr(module, name)
            if name.startswith("_") or not callable(value) or isinstance(value, type):
                continue
            if getattr(value, "__module__", None) == module.__name__:
                setattr(module, name, self.wrap(value, part))


def minigrad_worker(data, args):
    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad.kernels import conv, matmul, pool
    from minigrad.optim import SGD
    from minigrad.train.models import build_model

    if requested_threads():
        mg.set_num_threads(requested_threads())
    model = build_model(args.variant, data["x_train"].shape[1:], 10)
    model.load_state_dict(weights_of(data, args.variant))
    optimiser = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    batches = len(data["y_train"]) // BATCH

    def step(i):
        begin = (i % batches) * BATCH
        x = mg.tensor(data["x_train"][begin:begin + BATCH])
        loss = F.cross_entropy(model(x), mg.tensor(data["y_train"][begin:begin + BATCH]))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    clean = step_times(step, args.steps)
    timer = _PartTimer()
    for module, part in ((conv, "conv"), (pool, "pool"), (matmul, "matmul")):
        timer.wrap_module(module, part)
    optimiser.step = timer.wrap(optimiser.step, "optimiser")
    seconds = timed_pass(step, args.steps)
    parts = {part: total / args.steps for part, total in timer.seconds.items()}
    return with_parts(clean, seconds, parts)


# --------------------------------------------------------------------------- PyTorch
TORCH_PARTS = {"aten::convolution": "conv", "aten::convolution_backward": "conv",
               "aten::max_pool2d_with_indices": "pool",
               "aten::max_pool2d_with_indices_backward": "pool",
               "aten::mm": "matmul", "aten::addmm": "matmul",
               "Optimizer.step#SGD.step": "optimiser"}


def torch_worker(data, args):
    import torch
    import torch.nn.functional as F
    from torch.profiler import ProfilerActivity, profile

    if requested_threads():
        torch.set_num_threads(requested_threads())
    model = torch_model(args.variant, data["x_train"].shape[1:])
    model.load_state_dict({key: torch.from_numpy(value)
                           for key, value in weights_of(data, args.variant).items()})
    optimiser = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x_train, y_train = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"])
    batches = len(data["y_train"]) // BATCH

    def step(i):
        begin = (i % batches) * BATCH
        loss = F.cross_entropy(model(x_train[begin:begin + BATCH]),
                               y_train[begin:begin + BATCH])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    clean = step_times(step, args.steps)
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        seconds = timed_pass(step, args.steps)
    parts = {}
    for event in profiler.key_averages():
        part = TORCH_PARTS.get(event.key)
        if part:  # CPU totals are in microseconds; mm inside a conv would count twice
            parts[part] = parts.get(part, 0.0) + event.cpu_time_total * 1e-6 / args.steps
    return with_parts(clean, seconds, parts)


if __name__ == "__main__":
    main(__doc__, prepare, {"minigrad": minigrad_worker, "torch": torch_worker},
         add_arguments, variants=lambda args: args.models.split(","))

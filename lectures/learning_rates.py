"""Lecture 4: learning-rate schedules, and choosing the learning rate.

Part 1: the schedules of minigrad.optim.lr_scheduler, plotted over 100 steps from a
base lr of 0.1: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, linear
warm-up then cosine (SequentialLR), CyclicLR (Smith 2017, arXiv:1506.01186) and
OneCycleLR (Smith & Topin 2017, arXiv:1708.07120).

Part 2: a small MLP on the embedded 8x8 digits, trained with plain SGD at a learning
rate that is too low (the loss creeps down), too high (the loss jumps around or
climbs) and about right (fast, steady decrease); for each, the update-to-weight
ratio ||lr * dW|| / ||W|| of one more step (minigrad.diagnostics.update_ratios;
the cs231n rule of thumb: around 1e-3). Read it next to the loss: after the
too-high run has blown its weights up (and killed ReLUs), the same lr moves them
by a modest fraction again, while the too-low run's 1e-4 says "raise the lr".

Part 3: the LR range test (Smith 2017): raise the lr exponentially over one sweep
of minibatches, record the loss, and pick the lr where the smoothed loss falls
fastest. Figures: lr_schedules.png, lr_loss_curves.png, lr_range_test.png.
"""


from _common import banner, figure, load_flat_digits, main, minibatches, save, train_epoch

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
import minigrad.optim as optim
from minigrad.diagnostics import update_ratios
from minigrad.optim import lr_scheduler as sched

LEARNING_RATES = {"too low": 1e-3, "about right": 0.5, "too high": 4.0}


def schedules(steps, base_lr=0.1):
    """name -> list of lr over `steps` steps, from each scheduler."""
    def trace(make):
        opt = optim.SGD([mg.zeros(1, requires_grad=True)], lr=base_lr, momentum=0.9)
        scheduler = make(opt)
        lrs = []
        for _ in range(steps):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
        return lrs

    warmup = steps // 10
    return {
        "StepLR(30, 0.5)": trace(lambda o: sched.StepLR(o, step_size=30, gamma=0.5)),
        "MultiStepLR([50, 80])": trace(lambda o: sched.MultiStepLR(o, [50, 80], gamma=0.1)),
        "ExponentialLR(0.97)": trace(lambda o: sched.ExponentialLR(o, gamma=0.97)),
        "CosineAnnealingLR": trace(lambda o: sched.CosineAnnealingLR(o, T_max=steps)),
        "warm-up + cosine": trace(lambda o: sched.SequentialLR(
            o, [sched.LinearLR(o, start_factor=0.01, total_iters=warmup),
                sched.CosineAnnealingLR(o, T_max=steps - warmup)], milestones=[warmup])),
        "CyclicLR": trace(lambda o: sched.CyclicLR(o, base_lr=0.01, max_lr=base_lr,
                                                   step_size_up=steps // 8)),
        "OneCycleLR": trace(lambda o: sched.OneCycleLR(o, max_lr=base_lr, total_steps=steps)),
    }


def make_model():
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def loss_curves(x, y, epochs, batch_size=32):
    """label -> per-epoch training loss, and label -> update/weight ratios after
    training, for each learning rate (same init each time)."""
    curves, ratios = {}, {}
    for label, lr in LEARNING_RATES.items():
        mg.manual_seed(1)
        model = make_model()
        opt = optim.SGD(model.parameters(), lr=lr)
        curves[label] = [train_epoch(model, opt, x, y, batch_size) for _ in range(epochs)]
        print(f"  lr {lr:<6g} ({label:>11}): loss per epoch "
              + " ".join(f"{v:.3f}" for v in curves[label]))
        ratios[label] = one_step_update_ratios(model, opt, x[:batch_size], y[:batch_size])
        print(f"  {'':>20} update/weight ratio of one more step: "
              + ", ".join(f"{k} {v:.1e}" for k, v in ratios[label].items()))
    return curves, ratios


def one_step_update_ratios(model, opt, xb, yb):
    """||delta W|| / ||W|| per weight matrix for one SGD step (cs231n: ~1e-3 is healthy)."""
    opt.zero_grad()
    F.cross_entropy(model(mg.tensor(xb)), yb).backward()
    ratios = update_ratios(opt, model.named_parameters())
    return {name: ratio for name, ratio in ratios.items() if name.endswith("weight")}


def range_test(x, y, num_steps, batch_size=32):
    mg.manual_seed(1)
    model = make_model()
    opt = optim.SGD(model.parameters(), lr=1e-4)
    batches = iter([])

    def closure():
        nonlocal batches
        index = next(batches, None)
        if index is None:  # start another pass over the data
            batches = minibatches(len(x), batch_size)
            index = next(batches)
        loss = F.cross_entropy(model(mg.tensor(x[index])), y[index])
        loss.backward()
        return loss

    return optim.lr_range_test(optimizer=opt, closure=closure, start_lr=1e-4, end_lr=10.0,
                               num_steps=num_steps)


def run(out, full=False):
    banner("Part 1: schedules over 100 steps, base lr 0.1")
    traces = schedules(100)
    fig, axes = figure(1, 1, width=6)
    for name, lrs in traces.items():
        axes[0, 0].plot(lrs, label=name)
        print(f"  {name:<22} lr at steps 0, 10, 50, 99: "
              + ", ".join(f"{lrs[k]:.4g}" for k in (0, 10, 50, 99)))
    axes[0, 0].set(xlabel="step", ylabel="learning rate", title="Learning-rate schedules")
    axes[0, 0].legend(fontsize=7)
    save(fig, out, "lr_schedules.png")

    x, y, _, _ = load_flat_digits()
    if not full:
        x, y = x[:512], y[:512]
    epochs = 30 if full else 8
    banner(f"Part 2: SGD on digits ({len(x)} images), {epochs} epochs")
    curves, ratios = loss_curves(x, y, epochs)
    fig, axes = figure(1, 1, width=5)
    for label, losses in curves.items():
        axes[0, 0].plot(range(1, epochs + 1), losses, marker=".",
                        label=f"lr {LEARNING_RATES[label]:g} ({label})")
    axes[0, 0].set(xlabel="epoch", ylabel="training loss", yscale="log",
                   title="Learning rate too low / too high / about right")
    axes[0, 0].legend(fontsize=8)
    save(fig, out, "lr_loss_curves.png")

    banner("Part 3: LR range test")
    result = range_test(x, y, num_steps=200 if full else 100)
    print(f"  swept {len(result.lrs)} steps from lr {result.lrs[0]:.2g} to "
          f"{result.lrs[-1]:.2g}; suggested lr {result.suggested_lr:.3g}")
    ax = optim.plot_lr_range_test(result)
    save(ax.figure, out, "lr_range_test.png")
    return {"schedules": {k: [v[0], v[10], v[50], v[99]] for k, v in traces.items()},
            "loss_curves": curves, "learning_rates": LEARNING_RATES, "update_ratios": ratios,
            "range_test": {"suggested_lr": result.suggested_lr, "lrs": result.lrs,
                           "losses": result.losses}}


if __name__ == "__main__":
    main(run, __doc__)

"""Stands for: Andrej Karpathy, "Neural Networks: Zero to Hero", makemore part 3,
"Activations & Gradients, BatchNorm": the MLP rebuilt from hand-written Linear,
BatchNorm1d and Tanh classes, with the diagnostics of that lecture.

Written here in our own words, on a small list of invented names. The idioms it
relies on: weights torch.randn((fan_in, fan_out), generator=g) / fan_in**0.5, a
hand-written batch norm with x.mean(0, keepdim=True) and x.var(0, keepdim=True)
(PyTorch's unbiased variance), torch.sqrt, running statistics updated under
torch.no_grad(), in-place scaling of parameters under torch.no_grad()
(layer.weight *= 5/3), p.requires_grad = True, layer.out.retain_grad() and
layer.out.grad, p.grad = None, p.data += -lr * p.grad, the update-to-data ratio
((lr * p.grad).std() / p.data.std()).log10().item(), activation statistics with
t.mean(), t.std() and (t.abs() > 0.97).float().mean() in %-formatting,
torch.histogram(t, density=True), and an evaluation function under @torch.no_grad().
"""

import minigrad as torch
import minigrad.nn.functional as F

WORDS = ["amara", "belin", "corvo", "dessa", "elio", "fenna", "galen", "hiro", "ilsa",
         "jaro", "kessa", "lumi", "maro", "nessa", "orin", "pella", "quin", "rhea", "sora",
         "talin", "ulla", "varo", "wren", "xani", "yara", "zeno", "aurel", "brisa", "cato",
         "dara", "emeric", "faye", "gideon", "halle", "ines", "jory", "kaia", "leoric",
         "mina", "noor", "odile", "pavo", "riva", "selma", "tova", "uriel", "vesna", "wilda"]
BLOCK_SIZE, N_EMBD, N_HIDDEN = 3, 8, 48


class Linear:
    def __init__(self, fan_in, fan_out, g, bias=True):
        self.weight = torch.randn((fan_in, fan_out), generator=g) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps, self.momentum, self.training = eps, momentum, True
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        if self.training:
            xmean = x.mean(0, keepdim=True)
            xvar = x.var(0, keepdim=True)
        else:
            xmean, xvar = self.running_mean, self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


def build_dataset(words, stoi):
    X, Y = [], []
    for w in words:
        context = [0] * BLOCK_SIZE
        for ch in w + ".":
            X.append(context)
            Y.append(stoi[ch])
            context = context[1:] + [stoi[ch]]
    return torch.tensor(X), torch.tensor(Y)


def activation_report(layers):
    lines, saturations = [], []
    for i, layer in enumerate(layers[:-1]):
        if isinstance(layer, Tanh):
            t = layer.out
            saturated = (t.abs() > 0.97).float().mean()
            lines.append("layer %d (%10s): mean %+.2f, std %.2f, saturated: %.2f%%" % (
                i, layer.__class__.__name__, t.mean(), t.std(), saturated * 100))
            saturations.append(saturated.item())
    return lines, saturations


def main(steps=30):
    chars = sorted(set("".join(WORDS)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    vocab_size = len(stoi)
    Xtr, Ytr = build_dataset(WORDS[:40], stoi)
    Xdev, Ydev = build_dataset(WORDS[40:], stoi)

    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((vocab_size, N_EMBD), generator=g)
    layers = [Linear(N_EMBD * BLOCK_SIZE, N_HIDDEN, g, bias=False), BatchNorm1d(N_HIDDEN), Tanh(),
              Linear(N_HIDDEN, N_HIDDEN, g, bias=False), BatchNorm1d(N_HIDDEN), Tanh(),
              Linear(N_HIDDEN, vocab_size, g, bias=False), BatchNorm1d(vocab_size)]
    with torch.no_grad():
        layers[-1].gamma *= 0.1
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= 5 / 3
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    for p in parameters:
        p.requires_grad = True

    losses, update_ratios = [], []
    for i in range(steps):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]
        emb = C[Xb]
        x = emb.view(emb.shape[0], -1)
        for layer in layers:
            x = layer(x)
        loss = F.cross_entropy(x, Yb)
        for layer in layers:
            layer.out.retain_grad()
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 20 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        losses.append(loss.item())
        with torch.no_grad():
            update_ratios.append([((lr * p.grad).std() / p.data.std()).log10().item()
                                  for p in parameters])

    report, saturations = activation_report(layers)
    print("\n".join(report))
    hist, edges = torch.histogram(layers[2].out, density=True)
    gradient_std = [layer.out.grad.std().item() for layer in layers if isinstance(layer, Tanh)]

    @torch.no_grad()
    def split_loss(X, Y):
        x = C[X].view(X.shape[0], -1)
        for layer in layers:
            x = layer(x)
        return F.cross_entropy(x, Y).item()

    for layer in layers:
        layer.training = False
    return {"losses": losses, "update_ratios": update_ratios, "saturations": saturations,
            "histogram": hist, "edges": edges, "gradient_std": gradient_std,
            "running_var": layers[1].running_var, "dev_loss": split_loss(Xdev, Ydev)}

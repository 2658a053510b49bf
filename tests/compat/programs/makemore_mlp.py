"""Stands for: Andrej Karpathy, "Neural Networks: Zero to Hero", makemore part 2, the
character-level MLP language model after Bengio et al. 2003 (build_makemore_mlp).

Written here in our own words, on a small list of invented names instead of the
downloaded names.txt. The idioms it relies on: a vocabulary from sorted(set(...)),
int64 index tensors made from Python lists, an embedding table indexed by a 2-D
integer tensor (C[X]), view(-1, n), torch.Generator().manual_seed and generator= on
randn/randint/multinomial, p.requires_grad = True, p.nelement(), F.cross_entropy,
p.grad = None, p.data += -lr * p.grad, loss.item(), torch.no_grad() for evaluation,
F.softmax(dim=1) and torch.multinomial(...).item() for sampling.
"""

import minigrad as torch
import minigrad.nn.functional as F

WORDS = ["amara", "belin", "corvo", "dessa", "elio", "fenna", "galen", "hiro", "ilsa",
         "jaro", "kessa", "lumi", "maro", "nessa", "orin", "pella", "quin", "rhea", "sora",
         "talin", "ulla", "varo", "wren", "xani", "yara", "zeno", "aurel", "brisa", "cato",
         "dara", "emeric", "faye", "gideon", "halle", "ines", "jory", "kaia", "leoric",
         "mina", "noor", "odile", "pavo", "riva", "selma", "tova", "uriel", "vesna", "wilda",
         "yusra", "zora", "anouk", "bram", "cleo", "doran", "elska", "fritz"]
BLOCK_SIZE = 3  # characters of context


def build_dataset(words, stoi):
    X, Y = [], []
    for w in words:
        context = [0] * BLOCK_SIZE
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


def sample(C, W1, b1, W2, b2, g, itos, count):
    names = []
    for _ in range(count):
        out, context = [], [0] * BLOCK_SIZE
        while True:
            emb = C[torch.tensor([context])]
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            probs = F.softmax(h @ W2 + b2, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0 or len(out) > 12:
                break
        names.append("".join(itos[i] for i in out))
    return names, probs


def main(steps=40):
    chars = sorted(set("".join(WORDS)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    vocab_size = len(itos)
    Xtr, Ytr = build_dataset(WORDS[:48], stoi)
    Xdev, Ydev = build_dataset(WORDS[48:], stoi)

    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((vocab_size, 10), generator=g)
    W1 = torch.randn((BLOCK_SIZE * 10, 64), generator=g) * 0.2
    b1 = torch.randn(64, generator=g) * 0.01
    W2 = torch.randn((64, vocab_size), generator=g) * 0.01
    b2 = torch.randn(vocab_size, generator=g) * 0
    parameters = [C, W1, b1, W2, b2]
    n_parameters = sum(p.nelement() for p in parameters)
    for p in parameters:
        p.requires_grad = True

    losses = []
    for i in range(steps):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        emb = C[Xtr[ix]]
        h = torch.tanh(emb.view(-1, BLOCK_SIZE * 10) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < steps // 2 else 0.05
        for p in parameters:
            p.data += -lr * p.grad
        losses.append(loss.item())

    with torch.no_grad():
        emb = C[Xdev]
        h = torch.tanh(emb.view(-1, BLOCK_SIZE * 10) @ W1 + b1)
        dev_loss = F.cross_entropy(h @ W2 + b2, Ydev).item()
    names, last_probs = sample(C, W1, b1, W2, b2, g, itos, count=3)
    return {"n_parameters": n_parameters, "losses": losses, "dev_loss": dev_loss,
            "embedding": C, "W2_grad": W2.grad, "names": names, "last_probs": last_probs}

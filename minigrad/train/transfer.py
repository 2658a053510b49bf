"""Transfer learning: reuse a trained network, train only part of it, or at its own pace.

    freeze(model, "features")                 # no gradients for features.*
    replace_head(model, "classifier", nn.Linear(128, 5))
    groups = param_groups(model, {"features": 1e-4}, default_lr=1e-2)
    opt = SGD(groups, lr=1e-2, momentum=0.9)  # small lr for the backbone

Yosinski et al. 2014, "How transferable are features in deep neural networks?"
(arXiv:1411.1792): early layers are general, later ones task-specific, which is
why the backbone is frozen or trained slowly and the head replaced.
"""

__all__ = ["freeze", "unfreeze", "replace_head", "param_groups", "trainable_parameters"]


def _matches(name, prefixes):
    """`name` lies under one of `prefixes` (dotted, so 'fc' matches 'fc.weight', not 'fc2')."""
    return any(p == "" or name == p or name.startswith(p + ".") for p in prefixes)


def _set_requires_grad(model, prefixes, flag):
    prefixes = [prefixes] if isinstance(prefixes, str) else list(prefixes)
    changed = []
    for name, param in model.named_parameters():
        if _matches(name, prefixes):
            param.requires_grad = flag
            if not flag:
                param.grad = None
            changed.append(name)
    if not changed:
        names = [name for name, _ in model.named_parameters()]
        raise KeyError(f"freeze/unfreeze: no parameter name starts with {prefixes}; the "
                       f"model has {names}")
    return changed


def freeze(model, prefixes=""):
    """Stop gradients for parameters under `prefixes` (all by default); returns their names."""
    return _set_requires_grad(model, prefixes, False)


def unfreeze(model, prefixes=""):
    """Let parameters under `prefixes` (all by default) learn again; returns their names."""
    return _set_requires_grad(model, prefixes, True)


def trainable_parameters(model):
    """The parameters that still require gradients (what an optimiser should get)."""
    return [p for p in model.parameters() if p.requires_grad]


def replace_head(model, name, new_module):
    """Swap the submodule at dotted path `name` (e.g. "classifier" or "features.3") for
    `new_module`, keeping its place among its siblings; returns the old one."""
    *parents, last = name.split(".")
    owner = model
    for part in parents + [last]:
        children = dict(owner.named_children())
        if part not in children:
            raise KeyError(f"replace_head: the model has no submodule {name!r} (at {part!r}, "
                           f"children are {sorted(children)})")
        owner, parent = children[part], owner
    # assign into the registry directly: re-registering would move the entry to the
    # end, which would reorder a Sequential
    parent._modules[last] = new_module
    return owner


def param_groups(model, lrs, default_lr=None, trainable_only=True):
    """Optimiser param groups with a learning rate per name prefix.

    Args:
        lrs: {prefix: lr}; a parameter takes the lr of the longest prefix it lies under.
        default_lr: lr of parameters under no prefix (None: the optimiser's default).
    Returns: a list of {"params": [...], "lr": ...} dicts, one per distinct lr, without
        empty groups; frozen parameters are left out unless trainable_only=False.
    """
    by_prefix = {}
    for name, param in model.named_parameters():
        if trainable_only and not param.requires_grad:
            continue
        owners = [p for p in lrs if _matches(name, [p])]
        key = max(owners, key=len) if owners else None
        by_prefix.setdefault(key, []).append(param)
    groups = []
    for key, params in by_prefix.items():
        group = {"params": params}
        lr = lrs[key] if key is not None else default_lr
        if lr is not None:
            group["lr"] = lr
        groups.append(group)
    return groups

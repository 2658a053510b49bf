"""The public names of /work/shared/API.md, and the names the reference pages list.

API.md writes names the way a user types them: `mg.zeros`, `nn.Linear(...)`,
`t.backward(...)`, `F.conv2d`, or bare inside a list (`exp log sqrt`) or after a
heading span (`nn.init`: `zeros_ ones_`). `api_md_names` turns them into dotted
paths under `minigrad` (minigrad.zeros, minigrad.nn.Linear, minigrad.Tensor.backward,
minigrad.nn.functional.conv2d); `resolve` says whether such a path exists today.

The reference pages list what they document in `api-names` directives (see
minigrad_api.py), one name per line; `listed_names` reads them back, so the test
in tests/docs/test_api_coverage.py can compare the two without building the site.
"""

import importlib
import inspect
import re
from pathlib import Path

# How API.md abbreviates a namespace -> the dotted path it stands for.
PREFIXES = {
    "mg": "minigrad",
    "minigrad": "minigrad",
    "nn": "minigrad.nn",
    "F": "minigrad.nn.functional",
    "t": "minigrad.Tensor",
    "module": "minigrad.nn.Module",
}
# Where a bare name lands, by the section it appears in.
SECTION_NAMESPACES = {
    "Tensor and autodiff": "minigrad",
    "Layers": "minigrad.nn",
    "Functions": "minigrad.nn.functional",
    "Optimisers": "minigrad.optim",
    "Teaching surfaces": "minigrad",
}
FUNCTION = "minigrad.autograd.Function"
# Where API.md names a member by itself, after the class it belongs to was named
# in prose ("LR schedulers ... with `step()`"; "BatchNorm ... buffers `running_mean`").
MEMBER_OF = {
    "minigrad.optim.lr_scheduler.step": "minigrad.optim.lr_scheduler.LRScheduler.step",
    "minigrad.optim.lr_scheduler.get_last_lr":
        "minigrad.optim.lr_scheduler.LRScheduler.get_last_lr",
    "minigrad.nn.running_mean": "minigrad.nn.BatchNorm1d.running_mean",
    "minigrad.nn.running_var": "minigrad.nn.BatchNorm1d.running_var",
    "minigrad.optim.clip_grad_value_": "minigrad.nn.utils.clip_grad_value_",
    "minigrad.nn.Module.repr": "minigrad.nn.Module.__repr__",
}
# Words API.md puts in backticks in its prose that name an argument, not an object.
ARGUMENT_WORDS = {"minigrad.dim"}
# Spans that are values, arguments or shell text rather than names.
_NOT_A_NAME = re.compile(r"^(python |MINIGRAD_|###|import |[0-9'\"(])|=|^(p|ctx)\.")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _items(text):
    """(section title, bullet-item text) pairs; a paragraph outside bullets is one item."""
    section, current = "", []
    for line in text.splitlines():
        if line.startswith("```"):
            section = section if not current else section
            continue
        heading = re.match(r"^##\s+(.*)", line)
        if heading:
            if current:
                yield section, " ".join(current)
            section, current = heading.group(1), []
        elif line.startswith("- ") or not line.strip():
            if current:
                yield section, " ".join(current)
            current = [line[2:]] if line.startswith("- ") else []
        else:
            current.append(line.strip())
    if current:
        yield section, " ".join(current)


def _section_namespace(section):
    for title, namespace in SECTION_NAMESPACES.items():
        if section.startswith(title):
            return namespace
    return None


def _expand(word, context):
    """One word of a span -> a dotted path, or None for a word that names nothing."""
    word = word.split("(", 1)[0].strip().rstrip(",:;.")
    if not word or not _IDENTIFIER.match(word):
        return None
    head, _, rest = word.partition(".")
    if head in PREFIXES and rest:
        return f"{PREFIXES[head]}.{rest}"
    if rest or head in PREFIXES:  # np.ndarray, ctx.saved_tensors, MyOp.apply: not ours
        return None
    return f"{context}.{word}" if context else None


def _strip_arguments(span):
    """`Adam(params, betas=(0.9, 0.999))` -> `Adam`: innermost parentheses first."""
    while re.search(r"\([^()]*\)", span):
        span = re.sub(r"\([^()]*\)", "", span)
    return span


def _span_words(span):
    """`exp log sqrt` -> three words; `zeros(...)` -> one; `concatenate/cat` -> two."""
    return [w for w in re.split(r"[\s/]+|\|", _strip_arguments(span)) if w]


def _spans(item):
    """(span text, inside parenthesised prose?) for each backticked span of an item."""
    depth, spans = 0, []
    for index, piece in enumerate(item.split("`")):
        if index % 2:
            spans.append((piece, depth > 0))
        else:
            depth = max(0, depth + piece.count("(") - piece.count(")"))
    return spans


def api_md_names(text):
    """The sorted set of dotted names that API.md's text lists."""
    names = set()
    code = False
    kept_lines = []
    for line in text.splitlines():  # the import block at the top is not part of the surface
        if line.startswith("```"):
            code = not code
            continue
        if not code:
            kept_lines.append(line)
    for section, item in _items("\n".join(kept_lines)):
        namespace = _section_namespace(section)
        if namespace is None:
            continue
        spans = _spans(item)
        heading = re.match(r"^\s*`([^`]+)`\s*:", item)
        context = namespace
        if heading:  # "`nn.Module`: `forward`, ..." -> bare names are nn.Module's
            head = _expand(_span_words(heading.group(1))[0], namespace)
            if head:
                context = head
                names.add(head)
                spans = spans[1:]
        for span, in_parentheses in spans:
            if _NOT_A_NAME.search(_strip_arguments(span).strip()):
                continue
            # `forward(ctx, ...)`: a method of the user's Function subclass
            span_context = FUNCTION if re.search(r"\(ctx\b", span) else context
            for index, word in enumerate(_span_words(span)):
                if in_parentheses and "." not in word:
                    continue  # "(`gain`, `a`, `mode`)": arguments, not names
                dotted = _expand(word, span_context)
                if dotted is None:
                    continue
                names.add(dotted)
                # `nn.Sigmoid Tanh ReLU`: the first word's namespace carries on
                if index == 0 and "." in word:
                    span_context = dotted.rsplit(".", 1)[0]
    return sorted({MEMBER_OF.get(n, n) for n in names} - {"minigrad"} - ARGUMENT_WORDS)


def resolve(dotted):
    """The object at a dotted path under minigrad, or None when it does not exist."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        module_name = ".".join(parts[:split])
        try:
            obj = importlib.import_module(module_name)
        except ImportError:
            continue
        for attribute in parts[split:]:
            if not hasattr(obj, attribute):
                return _instance_attribute(obj, attribute)
            obj = getattr(obj, attribute)
        return obj
    return None


def _instance_attribute(cls, attribute):
    """`training`, `running_var`: set on each instance in __init__, so not on the class.
    Returns a stand-in (the class) when the class or a base assigns self.<attribute>."""
    if not isinstance(cls, type):
        return None
    for klass in cls.__mro__:
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        quoted = rf"['\"]{attribute}['\"]"
        if re.search(rf"self\.{attribute}\s*=|register_buffer\(\s*{quoted}"
                     rf"|__setattr__\(\s*self,\s*{quoted}", source):
            return cls
    return None


def listed_names(docs_dir):
    """{dotted name: page} for every name in an `api-names` directive under docs_dir."""
    listed = {}
    for page in sorted(Path(docs_dir).rglob("*.rst")):
        if "_build" in page.parts:
            continue
        lines = page.read_text(encoding="utf-8").splitlines()
        index = 0
        while index < len(lines):
            match = re.match(r"^\.\. api-names::\s*(\S+)", lines[index])
            index += 1
            if not match:
                continue
            module = match.group(1)
            while index < len(lines) and (not lines[index].strip()
                                          or lines[index].startswith("   ")):
                word = lines[index].strip()
                index += 1
                if word and not word.startswith(":"):
                    listed[f"{module}.{word}"] = str(page.relative_to(docs_dir))
    return listed


def is_covered(dotted, listed):
    """A name is covered when it is listed, or its class is listed (with all members)."""
    parent = dotted.rsplit(".", 1)[0]
    return dotted in listed or (parent in listed and isinstance(resolve(parent), type))

"""The built site must work without a network: no script, stylesheet or font from a URL.

`remote_assets(html_dir)` lists every http(s) or protocol-relative URL that a page
loads as a script, stylesheet, font, image or iframe, or that a stylesheet imports;
links a reader may click (`<a href=...>`) are fine. The Sphinx hook fails the build
when the list is not empty; tests/docs/test_site.py checks the same on a built site.
"""

import re
from pathlib import Path

REMOTE = r"""(?:https?:)?//[^"'\s)]+"""
_PATTERNS = [
    re.compile(rf"""<script[^>]*\bsrc\s*=\s*["']?({REMOTE})""", re.I),
    re.compile(rf"""<link[^>]*\bhref\s*=\s*["']?({REMOTE})""", re.I),
    re.compile(rf"""<(?:img|iframe|source|video|audio)[^>]*\bsrc\s*=\s*["']?({REMOTE})""", re.I),
    re.compile(rf"""@import\s+(?:url\()?\s*["']?({REMOTE})""", re.I),
    re.compile(rf"""url\(\s*["']?({REMOTE})""", re.I),
]


def remote_assets(html_dir):
    """[(file relative to html_dir, URL)] for every asset loaded from outside the site."""
    found = []
    root = Path(html_dir)
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".html", ".css") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        patterns = _PATTERNS if path.suffix == ".html" else _PATTERNS[3:]
        for pattern in patterns:
            found += [(str(path.relative_to(root)), url) for url in pattern.findall(text)]
    return found


def _check(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    found = remote_assets(app.outdir)
    if found:
        listing = "\n".join(f"  {page}: {url}" for page, url in found[:20])
        raise RuntimeError(f"the site loads {len(found)} asset(s) from the network:\n{listing}")


def setup(app):
    app.connect("build-finished", _check)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Shared by the docs tests: where the sources and the built site are."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
HTML = DOCS / "_build" / "html"
sys.path.insert(0, str(DOCS / "_ext"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: opens the built site in headless Chromium (after `make docs`)")


@pytest.fixture(scope="session")
def built_site():
    """docs/_build/html, or a skip when `make docs` has not run."""
    if not (HTML / "index.html").exists():
        pytest.skip("the site is not built: run `make docs` first")
    return HTML

# The two commands a newcomer needs: `make train` and `make test`.
# Both create .venv on first use and install minigrad into it, with PyTorch (CPU,
# the parity extra) so the parity tests run instead of being skipped.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: train test test-all lint bench clean docs docs-test fuzz

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,mpi,parity]'
	touch $(STAMP)

train: $(STAMP)
	$(PY) -m minigrad train

test: $(STAMP)
	$(PY) -m ruff check minigrad tests lectures benchmarks
	$(PY) -m pytest -q

test-all: $(STAMP)
	$(PY) -m pytest -q -m ''

# The differential suite against PyTorch with its deep hypothesis profile (many more
# examples than make test's fast profile).
fuzz: $(STAMP)
	MINIGRAD_FUZZ=deep $(PY) -m pytest -q tests/differential

lint: $(STAMP)
	$(PY) -m ruff check minigrad tests lectures benchmarks

# The site, offline and strict (warnings and broken references are errors), into
# docs/_build/html; the lectures run in their fast mode as its gallery.
DOCS_STAMP := $(VENV)/.installed-docs

$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,mpi,docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	OPENBLAS_NUM_THREADS=1 $(PY) -m sphinx -b html -W --keep-going -n -q docs docs/_build/html

# The built site in headless Chromium (installs Debian's chromium when missing).
docs-test: docs
	bash .ci/install-browser.sh
	$(PY) -m pytest -q tests/docs

bench: $(STAMP)
	$(PY) benchmarks/bench_overhead.py

clean:
	rm -rf $(VENV) build *.egg-info runs docs/_build docs/lectures

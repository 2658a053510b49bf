# The two commands a newcomer needs: `make train` and `make test`.
# Both create .venv on first use and install minigrad into it, with PyTorch (CPU,
# the parity extra) so the parity tests run instead of being skipped.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: train test test-all lint bench clean

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

lint: $(STAMP)
	$(PY) -m ruff check minigrad tests lectures benchmarks

bench: $(STAMP)
	$(PY) benchmarks/bench_overhead.py

clean:
	rm -rf $(VENV) build *.egg-info runs

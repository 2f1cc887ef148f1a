# The README's two set-up commands: `make demo` and `make test`.
# Both create .venv, install the pinned stack (constraints.txt) and the package in editable mode,
# prepare the offline data, then run. Re-running skips what is already done.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell for p in python3.11 python3.12 python3.10 python3; do \
    command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null \
    && { echo $$p; break; }; done)
INSTALLED := $(VENV)/.installed
DATA := $(VENV)/.data-ready
# Keep HOME-writing libraries (matplotlib, Jupyter, Keras) quiet and local on CI.
export MPLBACKEND := Agg
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONUNBUFFERED := 1

.PHONY: demo test test-all bench install data notebooks clean

$(INSTALLED): constraints.txt setup.cfg pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: keras_syncgan needs Python 3.10, 3.11 or 3.12 (TensorFlow 2.17); found: $$(python3 --version 2>&1)."; \
	  echo "Install one of them, or run: make PYTHON=/path/to/python3.11 test"; exit 1; fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade -c constraints.txt -e '.[dev,notebooks]'
	@touch $@

install: $(INSTALLED)

$(DATA): $(INSTALLED) keras_syncgan/data/prepare.py
	$(BIN)/python -m keras_syncgan.data.prepare
	@touch $@

data: $(DATA)

demo: $(DATA)
	$(BIN)/python -m keras_syncgan.demo $(DEMO_ARGS)

# Unit tests and every notebook (quick mode, executed by nbmake) in one pytest run, in TEST_JOBS
# processes (one keeps about 1.1 of 2 cores busy: small networks, many small ops). Notebooks,
# the longest items, go first so that no worker is left with one at the end.
TEST_JOBS ?= 2
PYTEST := KERAS_SYNCGAN_QUICK=1 $(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist worksteal --nbmake --nbmake-timeout=900
test: $(DATA)
	$(BIN)/python notebooks/build.py --check
	$(PYTEST) --durations=15 notebooks tests

test-all: $(DATA)
	$(PYTEST) -m "" notebooks tests

notebooks: $(INSTALLED)
	$(BIN)/python notebooks/build.py

# The `bench` extra adds the PyTorch peer (torch, CPU build) and psutil.
bench: $(DATA)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[bench]'
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) outputs *.egg-info

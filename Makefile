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

# `make fuzz`: the fuzzers of the suite (tests/fuzz) with FUZZ_SCALE times their budget, random
# rather than the suite's fixed seed. FUZZ_SCALE=4 and above tries every hostile value on every field of
# every form for every role (tens of thousands of requests: hours).
FUZZ_SCALE ?= 3

.PHONY: run test check format fuzz install serve clean messages routes lock

# Every package from the test lock (runtime + test tools), each checked against its hash; the lock is complete, so
# pip resolves nothing (--no-deps) and `pip check` proves it; then the project and the development Stripe double.
$(INSTALLED): pyproject.toml requirements.lock requirements-test.lock
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-test.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e devtools/stripe-double -e .
	$(BIN)/pip check
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

test: check $(NODE_INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The house's rules, checked by tools before the tests run: lint and format (ruff), the layers (import-linter:
# a lower package never imports a higher one, pyproject's [tool.importlinter]), types (mypy, strict on the
# modules pyproject.toml lists).
check: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks devtools
	$(BIN)/ruff format --check src tests benchmarks devtools
	$(BIN)/lint-imports
	$(BIN)/mypy

# Fix what ruff can fix by itself: import order, modern syntax, formatting.
format: $(INSTALLED)
	$(BIN)/ruff check --fix src tests benchmarks devtools
	$(BIN)/ruff format src tests benchmarks devtools

fuzz: $(INSTALLED)
	BOOKING_FUZZ_SCALE=$(FUZZ_SCALE) $(BIN)/python -m pytest -p no:xdist tests/fuzz -q -s -p no:cacheprovider --timeout 0

# The family pages' strings: extract them into src/booking/locale/messages.pot and merge them into every
# language's catalog (translators then fill in the new entries). Catalogs are compiled when first used.
messages: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k es_ -k tr --no-location --omit-header --sort-output -o src/booking/locale/messages.pot .
	$(BIN)/pybabel update -i src/booking/locale/messages.pot -d src/booking/locale --no-location --width 120

# The lock files, generated from pyproject.toml with hashes: requirements.lock (what production installs) and
# requirements-test.lock (that plus the test tools). Existing pins are kept unless pyproject.toml asks otherwise.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --annotation-style line --quiet \
	--custom-compile-command "make lock"
lock: $(INSTALLED)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra test -c requirements.lock -o requirements-test.lock

# docs/ROUTES.md: every URL with its handler's name and module, generated from the app.
routes: $(INSTALLED)
	$(BIN)/python -m booking.web.route_map > docs/ROUTES.md

clean:
	rm -rf $(VENV) node_modules var .pytest_cache

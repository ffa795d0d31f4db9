# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The environment is the lock files' (requirements*.lock): every package of the tree pinned
# with its hashes, installed by the pip that Python ships (no pip upgrade first: an upgraded
# pip once hid a dependency that 23.2 did not install). A change to either file reinstalls.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements-dev.lock | cksum | cut -d' ' -f1)
# Build backend for the editable install, pinned into the locks and used without isolation
# (an isolated build would fetch an unpinned setuptools).
BUILD_REQUIREMENTS := setuptools==84.2.1
LOCK := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes

.PHONY: install run test lint format typecheck layers lock worker crawl bench clean

$(STAMP): pyproject.toml requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	@rm -f $(VENV)/.installed-*
	@touch $@

## Create .venv and install the locked environment (run and test do it when needed).
install: $(STAMP)

## Serve the API with the in-process scheduler on 127.0.0.1:8000 (SQLite under ./data/ by default).
run: $(STAMP)
	$(BIN)/pantau serve

## Lint, check the format, type-check, then run the whole suite (the import-layer test
## included) on SQLite and on the PostgreSQL at 127.0.0.1:5432, one worker per core (each
## test file in one worker: its fixtures are built once; each worker has its own databases).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app
	$(BIN)/pytest -n auto --dist loadfile

worker: $(STAMP)
	$(BIN)/pantau worker

crawl: $(STAMP)
	$(BIN)/pantau crawl --once

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy app

## Print how many import statements each floor of app/ makes into each other floor.
layers: $(STAMP)
	$(BIN)/python -m tests.test_layers

## Re-resolve both lock files from pyproject.toml (after changing a dependency). The dev lock
## is constrained by the run-time one, so the shared packages are the same in both.
lock: $(STAMP)
	echo '$(BUILD_REQUIREMENTS)' | $(LOCK) pyproject.toml - -o requirements.lock
	echo '$(BUILD_REQUIREMENTS)' | $(LOCK) pyproject.toml - --extra dev \
		-c requirements.lock -o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

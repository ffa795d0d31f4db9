# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint format typecheck worker crawl bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## Serve the API with the in-process scheduler on 127.0.0.1:8000 (SQLite under ./data/ by default).
run: $(STAMP)
	$(BIN)/pantau serve

## Run the whole test suite on SQLite and on the PostgreSQL at 127.0.0.1:5432.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

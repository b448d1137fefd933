# The one interface: `make run` and `make test` set everything up from nothing.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup run test check lint lint-python lint-types lint-sql unit bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: machines that set PYTHONDONTWRITEBYTECODE (this one does) never cache
# bytecode, so every import would compile the libraries again (Great Expectations 6 s -> 4 s,
# scikit-learn 4.3 s -> 1.8 s, Prefect's server 7.8 s -> 4.4 s).
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

## setup: create .venv with the locked dependencies (bootstraps uv into .tools/)
setup: $(VENV)/.synced

## run: set up, then run the pipeline on the built-in sample into exports/
run: setup
	$(VENV)/bin/traveltide run --source sample

## test: set up, then run the whole test suite (unit, integration, end to end)
test: setup
	$(VENV)/bin/pytest

## lint: ruff (lint and format), mypy on the package and the flows, sqlfluff on the SQL files
lint: lint-python lint-types lint-sql

lint-python: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lint-types: setup
	$(VENV)/bin/mypy

lint-sql: setup
	$(VENV)/bin/sqlfluff lint traveltide/sql

unit: setup
	$(VENV)/bin/pytest tests/unit

## check: lint and the unit tests side by side (under a minute; run before every commit)
check: setup
	$(MAKE) --no-print-directory --jobs=2 --output-sync=target lint-python lint-types lint-sql unit

## bench: full-scale benchmark (generates ~1.2 GB of CSV once under bench/data/)
bench: setup
	$(VENV)/bin/python bench/benchmark.py

clean:
	rm -rf .cache .prefect exports/* .pytest_cache .mypy_cache

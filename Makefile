# Schulhof: `make run` sets everything up and starts the demo school; `make test` runs all tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= var
PYTEST_WORKERS ?= 2

.PHONY: run test lint test-sqlite test-postgres setup system system-test venv messages clean help

help:
	@echo "make run    set up and start Schulhof with a demo school"
	@echo "make test   set up and run lint and the whole test suite (SQLite and PostgreSQL)"
	@echo "make lint   ruff and mypy"

system:
	@scripts/system-packages.sh run

system-test:
	@scripts/system-packages.sh test

$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

messages: $(STAMP)
	@cd src/schulhof && ../../$(BIN)/django-admin compilemessages --ignore '.venv' -v 0 2>/dev/null || true

setup: system venv messages
	@SCHULHOF_DATA_DIR=$(DATA_DIR) $(BIN)/schulhof setup --verbosity 0
	@SCHULHOF_DATA_DIR=$(DATA_DIR) $(BIN)/schulhof demo --if-empty --verbosity 0

run: setup
	SCHULHOF_DATA_DIR=$(DATA_DIR) exec $(BIN)/schulhof run --no-setup

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test-sqlite: venv
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile -p no:cacheprovider

test-postgres: venv
	DATABASE_URL=$$(scripts/test-postgres.sh) $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile -p no:cacheprovider -m "not e2e"

test: system-test venv messages
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache

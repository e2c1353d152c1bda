# Kassa: `make run` serves Kassa, `make test` runs every check. Both create .venv when missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Dependencies are reinstalled only when pyproject.toml changes: the stamps carry its hash.
DEPS_KEY := $(shell sha256sum pyproject.toml | cut -c1-16)
RUN_STAMP := $(VENV)/.installed-run-$(DEPS_KEY)
DEV_STAMP := $(VENV)/.installed-dev-$(DEPS_KEY)
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?= -n 2
ARGS ?=

.PHONY: run test lint fmt venv chromium

run: $(RUN_STAMP)
	$(BIN)/kassa serve $(ARGS)

test: lint chromium
	$(BIN)/pytest $(PYTEST_ARGS) tests

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src
	$(BIN)/lint-imports

fmt: $(DEV_STAMP)
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests

venv: $(DEV_STAMP)

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Kassa needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	rm -f $(VENV)/.installed-run-*
	touch $@

# The dev install includes the runtime one, so it stamps both.
$(DEV_STAMP): | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-run-* $(VENV)/.installed-dev-*
	touch $@ $(RUN_STAMP)

# The browser tests drive Debian's Chromium.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "The browser tests need Chromium: sudo apt-get install -y chromium" >&2; exit 1; \
		fi; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	fi

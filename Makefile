# Kassa: `make run` serves Kassa, `make test` runs every check. Both create .venv when missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Dependencies are reinstalled only when pyproject.toml changes: the stamps carry its hash.
DEPS_KEY := $(shell sha256sum pyproject.toml | cut -c1-16)
RUN_STAMP := $(VENV)/.installed-run-$(DEPS_KEY)
DEV_STAMP := $(VENV)/.installed-dev-$(DEPS_KEY)
PYTEST_ARGS ?= -n 2
ARGS ?=

.PHONY: run test lint fmt venv debian-packages

run: $(RUN_STAMP)
	$(BIN)/kassa serve $(ARGS)

test: lint debian-packages
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

# Debian packages the tests need: Chromium for the browser tests, Pango and fonts for the
# invoice PDFs (WeasyPrint), and wrk for the benchmark smoke tests. Missing ones are installed with apt-get, which needs root.
debian-packages:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ldconfig -p | grep -q libpangoft2-1.0.so.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"; \
	[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "The tests need these Debian packages: sudo apt-get install -y$$missing" >&2; exit 1; \
		fi; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

# Kehu — the two commands: `make run` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
NODE_STAMP := node_modules/.installed
ASSETS_STAMP := build/.assets-built
ASSET_SOURCES := $(shell find kehu/static kehu/locale -type f -not -name '*.mo' 2>/dev/null) \
  scripts/build_assets.py package-lock.json
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATA_DIR := $(CURDIR)/build/test-var
TEST_DATA_DIR_PG := $(CURDIR)/build/test-var-pg
PYTEST_ENV := KEHU_DATA_DIR=$(TEST_DATA_DIR) KEHU_STATIC_MANIFEST=0
PYTEST_ENV_PG := KEHU_DATA_DIR=$(TEST_DATA_DIR_PG) KEHU_STATIC_MANIFEST=0

.PHONY: help run setup setup-dev test lint typecheck test-sqlite test-pg test-e2e bench lock \
  messages clean

help:
	@echo "make run    set everything up and start Kehu with demo data on http://$(HOST):$(PORT)"
	@echo "make test   set everything up and run lint + the whole test suite"
	@echo "make bench  run the benchmarks"

# ---- setup ------------------------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.lock
	$(PIP) install -r requirements-dev.lock
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS_STAMP): $(RUNTIME_STAMP) $(NODE_STAMP) $(ASSET_SOURCES)
	$(BIN)/python scripts/build_assets.py
	mkdir -p build && touch $@

setup: $(RUNTIME_STAMP) $(NODE_STAMP) $(ASSETS_STAMP)

setup-dev: setup $(DEV_STAMP)

# ---- run --------------------------------------------------------------------------------------
run: setup
	$(BIN)/kehu migrate --no-input -v0
	$(BIN)/kehu demo --if-empty
	@echo ""
	@echo "  Kehu: http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password kehu-demo): admin · zhouhang (sales director) ·"
	@echo "    linxue (customer manager) · wangfang (sales rep) · gaoyuan (tech support)"
	@echo ""
	exec $(BIN)/kehu serve --host $(HOST) --port $(PORT)

# ---- test -------------------------------------------------------------------------------------
# The SQLite and PostgreSQL runs are independent (own data folders, own Redis database), so they
# run side by side on two cores; the browser tests follow.
test: setup-dev lint typecheck
	$(MAKE) --no-print-directory -j2 -O test-sqlite test-pg
	$(MAKE) --no-print-directory test-e2e
	@echo "All checks passed."

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup-dev
	$(BIN)/mypy --no-incremental kehu/*/services.py kehu/*/selectors.py

test-sqlite: setup-dev
	@mkdir -p $(TEST_DATA_DIR)
	$(PYTEST_ENV) $(BIN)/pytest -m "not e2e" -p no:cacheprovider

test-pg: setup-dev
	@if [ -n "$${KEHU_TEST_DATABASE_URL:-}" ]; then \
	  mkdir -p $(TEST_DATA_DIR_PG); \
	  redis="$${KEHU_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"; \
	  $(PYTEST_ENV_PG) KEHU_TEST_REDIS_URL="$${redis/%\/0/\/1}" \
	    DATABASE_URL="$$KEHU_TEST_DATABASE_URL" $(BIN)/pytest -m "not e2e" -p no:cacheprovider; \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "CI: KEHU_TEST_DATABASE_URL is not set; the PostgreSQL run is required." >&2; exit 1; \
	else \
	  echo "Skipping the PostgreSQL run (set KEHU_TEST_DATABASE_URL to enable it)."; \
	fi

# Browser tests drive a live server on a shared machine: a test that fails is run once more and
# reported as rerun (R) in the summary, so a timing flake shows without failing the build.
test-e2e: setup-dev
	@mkdir -p $(TEST_DATA_DIR)
	$(PYTEST_ENV) $(BIN)/pytest -m e2e -p no:cacheprovider --reruns 1 --reruns-delay 2

# ---- other ------------------------------------------------------------------------------------
bench: setup-dev
	$(BIN)/python -m bench
	$(BIN)/python -m bench.imports
	$(BIN)/python -m bench.sales_board
	$(BIN)/python -m bench.work_table

messages: setup-dev
	cd kehu && ../$(BIN)/kehu manage makemessages -l zh_Hans -l en --no-location --no-obsolete \
	  --ignore 'static/*' && ../$(BIN)/kehu manage makemessages -d djangojs -l zh_Hans -l en \
	  --no-location --no-obsolete --ignore 'static/vendor/*'

lock:
	rm -rf build/lockvenv && $(PYTHON) -m venv build/lockvenv
	build/lockvenv/bin/pip install -q . && build/lockvenv/bin/pip freeze --exclude kehu \
	  | grep -v '^-e' > build/req-runtime.txt
	build/lockvenv/bin/pip install -q ".[dev]" && build/lockvenv/bin/pip freeze --exclude kehu \
	  | grep -v '^-e' > build/req-all.txt
	{ echo "# Exact runtime dependencies of Kehu (regenerate with: make lock)"; \
	  cat build/req-runtime.txt; } > requirements.lock
	{ echo "# Exact development and test dependencies, on top of requirements.lock (make lock)"; \
	  echo "-r requirements.lock"; \
	  comm -13 <(sort build/req-runtime.txt) <(sort build/req-all.txt); } > requirements-dev.lock

clean:
	rm -rf build node_modules $(VENV)

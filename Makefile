# TinBáo — `make run` serves a development instance; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 1

export TINBAO_DATABASE_URL ?= sqlite:///./var/tinbao.db

.PHONY: run install dev migrate reference-data serve test lint typecheck pytest pytest-sqlite \
        pytest-postgres test-deploy openapi clean lock test-lowest

# Dependencies come from uv.lock (`make lock` regenerates it after a pyproject.toml change).
# A fresh machine needs only Python: uv itself is bootstrapped into the venv from PyPI.
UV_VERSION ?= 0.13.9
UV     := $(BIN)/uv
export UV_PYTHON_DOWNLOADS := never

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"

# --locked: fails when pyproject.toml changed and uv.lock was not regenerated.
$(VENV)/.installed: $(BIN)/python pyproject.toml uv.lock
	$(UV) sync -q --locked --inexact
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(UV) sync -q --locked --inexact --extra dev
	touch $@

## lock: regenerate uv.lock after changing dependencies in pyproject.toml (commit both)
lock: $(BIN)/python
	$(UV) lock

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/tinbao migrate

reference-data: migrate
	$(BIN)/tinbao load-reference-data

serve: install
	$(BIN)/tinbao serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

## run: create the virtualenv, install, migrate, load reference data, serve on 127.0.0.1:8000
run: reference-data serve

lint: dev
	$(BIN)/ruff check app tests bench scripts
	$(BIN)/ruff format --check app tests bench scripts

typecheck: dev
	$(BIN)/mypy app

pytest-sqlite: dev
	env -u TINBAO_TEST_DATABASE_URL $(BIN)/pytest

pytest-postgres: dev
	@if [ -n "$$TINBAO_TEST_DATABASE_URL" ]; then \
		echo "== tests on PostgreSQL ($$TINBAO_TEST_DATABASE_URL)"; \
		$(BIN)/pytest; \
	else \
		echo "== TINBAO_TEST_DATABASE_URL not set: PostgreSQL run skipped (.ci/run sets it)"; \
	fi

pytest: pytest-sqlite pytest-postgres

## test-deploy: three instances behind nginx on PostgreSQL + Redis (tests/deploy; a few minutes)
test-deploy: dev
	$(BIN)/pytest tests/deploy/multi_instance_check.py -x

## test: dev dependencies, ruff, mypy, pytest on SQLite and (when configured) PostgreSQL
test: lint typecheck pytest

## test-lowest: the lowest versions pyproject.toml allows, in a venv of their own, quick tests
LOWEST := .venv-lowest
test-lowest: $(BIN)/python
	$(UV) venv -q --clear --python $(BIN)/python $(LOWEST)
	$(UV) pip install -q --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[dev]'
	$(LOWEST)/bin/python scripts/check_lowest.py
	env -u TINBAO_TEST_DATABASE_URL $(LOWEST)/bin/pytest --strict-config -m "not slow"

## openapi: regenerate the committed openapi/openapi.json
openapi: install
	$(BIN)/python -m app.openapi_export openapi/openapi.json

clean:
	rm -rf $(VENV) $(LOWEST) var .mypy_cache .ruff_cache

# TinBáo — `make run` serves a development instance; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 1

export TINBAO_DATABASE_URL ?= sqlite:///./var/tinbao.db

.PHONY: run install dev migrate reference-data serve test lint typecheck pytest pytest-sqlite \
        pytest-postgres test-deploy openapi clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

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
	$(BIN)/ruff check app tests migrations bench scripts
	$(BIN)/ruff format --check app tests migrations bench scripts

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

## openapi: regenerate the committed openapi/openapi.json
openapi: install
	$(BIN)/python -m app.openapi_export openapi/openapi.json

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache

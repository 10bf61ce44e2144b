# ShopHub: `make run` serves the demo store, `make test` runs the whole suite.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(FLASK) db upgrade
	$(FLASK) shophub seed-demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000 --no-reload

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff, the import contracts of pyproject.toml (imports point one way) and the type checker.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# The webhook and checkout benchmarks WIPE this PostgreSQL database (schema public) first.
BENCH_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test_d

bench: $(VENV)/.dev
	$(BIN)/python bench/catalog.py
	$(BIN)/python -m bench.cart
	$(BIN)/python -m bench.webhooks --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python -m bench.checkout --database-url $(BENCH_DATABASE_URL)

clean:
	rm -rf $(VENV) .pytest_cache

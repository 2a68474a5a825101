# Imago — `make run` serves the app, `make test` checks everything. Both set themselves up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CHROMIUM ?= /usr/bin/chromium
# Tests run with DEBUG off, as in production; they need a key, never a real one.
TEST_ENV := IMAGO_SECRET_KEY=test-only-not-secret-$(shell printf '%050d' 0)
PG_URL ?= postgres://postgres@127.0.0.1:5432/imago
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0
# `make run` serves here; override from the environment (PORT=8001 make run).
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-services test-browser install chromium services bench bench-quick serve lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	IMAGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	IMAGO_DEBUG=1 HOST=$(HOST) PORT=$(PORT) $(BIN)/python manage.py demo_data
	IMAGO_DEBUG=1 $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Imago is at http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	@# The task worker (reminders, emails) runs beside daphne and stops with it.
	IMAGO_DEBUG=1 $(BIN)/python manage.py run_huey --quiet & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	IMAGO_DEBUG=1 $(BIN)/daphne -b $(HOST) -p $(PORT) imago_site.asgi:application

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Debian's Chromium drives the browser tests (Playwright cannot download its own browser here).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# The whole suite on the embedded defaults: SQLite + in-memory channel layer.
test: lint chromium
	$(TEST_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(BIN)/pytest

# Start the local PostgreSQL and Redis if they are down (CI machines have both installed).
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -n 1) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && exit 0; sleep 1; done; echo "PostgreSQL or Redis did not start" >&2; exit 1

# The whole suite again on PostgreSQL + Redis, the scaled-out configuration. The accessibility
# walk over every page (minutes in Chromium) reads no database- or layer-specific behaviour; it
# runs in `make test`.
test-services: install chromium services
	$(TEST_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(TEST_ENV) $(BIN)/pytest \
		--ignore=tests/browser/test_accessibility.py

test-browser: install chromium
	$(TEST_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(BIN)/pytest -m browser

# The live dialogue against real daphne processes and two floors, on PostgreSQL + Redis and on
# SQLite + the in-memory layer; results in bench/results/ (docs/performance.md).
bench: install services
	$(TEST_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(TEST_ENV) $(BIN)/python manage.py bench $(BENCH_ARGS)

# Under 2 minutes: a few couples through real servers; fails if any turn is lost or duplicated.
bench-quick: install services
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(TEST_ENV) $(BIN)/python manage.py bench --quick

# N daphne processes sharing one port, on PostgreSQL + Redis (docs/deploy.md). Needs
# IMAGO_SECRET_KEY (and IMAGO_ALLOWED_HOSTS) in the environment, as in production.
PROCESSES ?= 2
serve: install services
	DATABASE_URL=$(PG_URL) $(BIN)/python manage.py migrate --noinput
	DATABASE_URL=$(PG_URL) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/python manage.py serve --processes $(PROCESSES) --port 8000

clean:
	rm -rf $(VENV) staticfiles db.sqlite3* test_db*.sqlite3* tasks.sqlite3* .pytest_cache

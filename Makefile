# The two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench drills clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/.runtime
	$(PIP) install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

## run: set up and serve the portal with demo data at http://127.0.0.1:8000 (PORT=8101 for another port)
# Emailed links are built from SITE_URL: unless it is set, it is the address this target serves.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.runtime
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo
	@echo "Serving $$SITE_URL (emailed links point here)."
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$CELERY_BROKER_URL" ]; then \
	  echo "PostgreSQL and Redis configured: starting a Celery worker and beat alongside the web server."; \
	  trap 'kill 0' INT TERM EXIT; \
	  DEBUG=$${DEBUG:-true} $(VENV)/bin/celery -A crossector worker --loglevel=INFO --concurrency=2 & \
	  DEBUG=$${DEBUG:-true} $(VENV)/bin/celery -A crossector beat --loglevel=INFO & \
	  DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT); \
	else \
	  echo "SQLite, tasks in process, emails printed here. Set DATABASE_URL and CELERY_BROKER_URL for PostgreSQL + Redis."; \
	  DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT); \
	fi

## test: install dev requirements, make sure PostgreSQL/Redis/Chromium are up, lint, check, run pytest with coverage
test: $(VENV)/.dev
	./.ci/services
	$(VENV)/bin/ruff check .
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/crossector} $(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/crossector} $(PY) manage.py check
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest --cov --cov-report=term:skip-covered --cov-report=xml -q $(PYTEST_ARGS)

## bench: load and concurrency benchmarks against gunicorn + PostgreSQL + a private Redis (port 6391);
## rewrites docs/performance.md. Takes 20-40 minutes; BENCH_ARGS="--quick" for a small trial run.
bench: $(VENV)/.dev
	$(PIP) install -q --disable-pip-version-check -r bench/requirements.txt
	pg_isready -q -h 127.0.0.1 -p 5432 || { echo "make bench: PostgreSQL is not answering on 127.0.0.1:5432 (run make test first)"; exit 1; }
	$(PY) -m bench.run --write $(BENCH_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## drills: the fault drills (Redis, worker, SMTP, PostgreSQL down; two beats; two web nodes behind HAProxy, one killed; backup and restore) on private instances; rewrites docs/reliability.md
drills: $(VENV)/.dev
	$(PIP) install -q --disable-pip-version-check -r bench/drills/requirements.txt
	$(PY) -m bench.drills.run $(DRILLS)

clean:
	rm -rf $(VENV) staticfiles .test-private-media coverage.xml .coverage

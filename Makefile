# The two commands of the README: `make run` (service with demo data) and `make test` (whole suite).
SHELL := /bin/bash
VENV := .venv
PORT ?= 8000
WORKERS ?= $(shell echo $$((2 * $$(nproc 2>/dev/null || echo 1))))  # gunicorn: a worker waiting for PostgreSQL leaves its core to another
export FLASK_APP := wsgi:app
# the Debian libraries WeasyPrint needs for the PDFs (owner letters, the yearly prevention report)
PDF_LIBS := libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0

.PHONY: run test screenshots lint lock

$(VENV)/.installed: pyproject.toml requirements.lock scripts/ensure-venv.sh
	@scripts/ensure-venv.sh
	@touch $@

## lock: update requirements.lock (exact versions with hashes) from the ranges in pyproject.toml; pins that
## still fit are kept: `make lock LOCK_ARGS=--upgrade` moves all, `LOCK_ARGS='--upgrade-package NAME'` one
lock:
	@scripts/lock.sh $(LOCK_ARGS)

## run: provision PostGIS (unless DATABASE_URL is set), migrate, seed an empty database, serve on 127.0.0.1:$(PORT)
## (scripts/serve.sh: nginx, installed by scripts/ensure-package.sh, in front of gunicorn's sync workers)
run: $(VENV)/.installed
	@set -e; scripts/ensure-package.sh nginx:nginx $(PDF_LIBS); export DATABASE_URL="$${DATABASE_URL:-$$(scripts/ensure-postgis.sh graffiti)}"; \
	$(VENV)/bin/flask db upgrade; \
	$(VENV)/bin/flask sync-city; \
	$(VENV)/bin/flask seed-demo --if-empty; \
	echo "serving on http://127.0.0.1:$(PORT) (nginx in front of $(WORKERS) gunicorn workers)"; \
	PORT=$(PORT) WORKERS=$(WORKERS) exec scripts/serve.sh

## test: provision a separate test database (unless TEST_DATABASE_URL is set) and run the whole suite
test: $(VENV)/.installed
	@set -e; scripts/ensure-package.sh chromium:chromium nginx:nginx pdftotext:poppler-utils $(PDF_LIBS); \
	export TEST_DATABASE_URL="$${TEST_DATABASE_URL:-$$(scripts/ensure-postgis.sh graffiti_test)}"; \
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

## screenshots: the citizen form on a phone, the staff planning map and the police hotspot map (and the last
## page of every browser test) as PNG files in test-output/screenshots/
screenshots: $(VENV)/.installed
	@set -e; scripts/ensure-package.sh chromium:chromium; \
	export TEST_DATABASE_URL="$${TEST_DATABASE_URL:-$$(scripts/ensure-postgis.sh graffiti_test)}"; \
	SCREENSHOTS=1 $(VENV)/bin/python -m pytest -m browser $(PYTEST_ARGS); \
	ls -1 test-output/screenshots/

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check app gis tests bench

# Quick start: `make run` (SQLite + filesystem broker, demo data) and `make test` (PostgreSQL + Redis).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# make test talks to this machine's PostgreSQL and Redis unless the environment names others (CI does).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/qianwan
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install assets browser run test test-fast lint fmt check bench bench-city messages clean security bandit audit-deps faults load fuzz scan

install: $(VENV)/.installed browser assets

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	touch $@

# Front-end packages no Python package bundles (the Leaflet clustering plugin), exactly as locked in
# package-lock.json, into node_modules/ (served by staticfiles; never committed). Debian nodejs/npm.
assets: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	  else echo "npm missing: run 'sudo apt-get install nodejs npm'"; exit 1; fi; }
	npm ci --no-audit --no-fund
	touch $@

# Browser tests drive Debian's Chromium (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	  else echo "chromium missing: run 'sudo apt-get install chromium fonts-noto-cjk'"; fi; }

run: $(VENV)/.installed assets
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py loaddemo
	$(PY) manage.py collectstatic --noinput -v0
	HOST=$(HOST) PORT=$(PORT) bin/run-dev

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: $(VENV)/.installed
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

bench: $(VENV)/.installed
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/qianwan_bench} REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/14} \
	  bin/bench
	$(MAKE) bench-city CITY_DB=$(CITY_1M_DB) BENCH_CITY_FLAGS="--incidents 1000000 --months 14 $(BENCH_CITY_1M_FLAGS)"

# The lists at a city's 10M incidents over 36 months (bench/city.py): builds PostgreSQL database
# qianwan_city once (reused while marked complete), then the measures; `make bench` runs the same
# checks at 1M incidents in qianwan_city_1m (BENCH_CITY_1M_FLAGS=--rebuild to measure right after
# gendata again).
CITY_DB ?= postgres://postgres@127.0.0.1:5432/qianwan_city
CITY_1M_DB ?= postgres://postgres@127.0.0.1:5432/qianwan_city_1m
bench-city: $(VENV)/.installed
	$(PY) -c "import psycopg2,sys; u=sys.argv[1]; c=psycopg2.connect(u.rsplit('/',1)[0]+'/postgres'); c.autocommit=True; cur=c.cursor(); n=u.rsplit('/',1)[1]; cur.execute('SELECT 1 FROM pg_database WHERE datname=%s',[n]); cur.fetchone() or cur.execute('CREATE DATABASE '+n)" "$(CITY_DB)"
	DJANGO_DEBUG=0 DATABASE_URL=$(CITY_DB) $(PY) manage.py collectstatic --noinput -v0
	BENCH_CITY=1 DATABASE_URL=$(CITY_DB) REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/13} bin/bench city $(BENCH_CITY_FLAGS)

clean:
	rm -rf var $(VENV)

# Message catalogues: English (translated by hand) and zh-hans (the source is Chinese, so a Chinese
# msgid is its own text; qianwan/i18n/catalogue.py fills those and fails on any other that is left
# empty — tests/platform/test_i18n.py checks the same), then the compiled .mo files.
MESSAGE_IGNORES := --ignore='tests/*' --ignore='bench/*' --ignore='loadtest/*' --ignore=var --ignore=node_modules --ignore=scan
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l en -l zh_Hans $(MESSAGE_IGNORES)
	$(PY) -m qianwan.i18n.catalogue
	$(PY) manage.py compilemessages -l en -l zh_Hans

# Security checks (issue 10). bandit: no high-severity finding in our code (tests, migrations and the
# load-test scripts are excluded). pip-audit: known vulnerabilities in the installed dependencies; with
# PIP_AUDIT_STRICT=1 (default) a package that could not be audited (advisory service unreachable) fails.
BANDIT_PATHS := qianwan incidents risks enterprises traffic antifraud disputes
PIP_AUDIT_STRICT ?= 1

security: bandit audit-deps

bandit: $(VENV)/.installed
	$(VENV)/bin/bandit -r $(BANDIT_PATHS) -x '*/migrations/*,*/tests/*' --severity-level high --confidence-level low -q

audit-deps: $(VENV)/.installed
	$(VENV)/bin/pip-audit --skip-editable --progress-spinner off $(if $(filter 1,$(PIP_AUDIT_STRICT)),--strict,)

# Fault injection with real processes on loopback (worker SIGKILL mid-send, Redis stop/start under a
# connected prefork worker holding ETA clock tasks, a stuck worker restarted by its watchdog, database
# cut, failing webhooks, replays). The short ones are part of `make test` too (marked integration);
# this runs them with the long scenarios (marker faults_long: 10 Redis restarts, 5 outages of 30 s, a
# 200-incident burst, the watchdog/supervisor restarts) and prints the lateness table (p50/p99/max,
# lost, duplicates) at the end.
faults: $(VENV)/.installed
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  $(PY) -m pytest tests/reliability -m "integration or faults_long" $(PYTEST_ARGS)

# Load test (loopback only, bounded): gunicorn with 2 workers + PostgreSQL, 50 locust users for 60 s
# mixing officer, leader and grid-client traffic; prints p50/p95 per endpoint, fails on any error.
# Locust (gevent) lives in its own virtualenv under var/ so it never enters the app's environment.
LOCUST_VENV := var/loadtest-venv
LOCUST_VERSION := 2.47.0

$(LOCUST_VENV)/bin/locust:
	$(PYTHON) -m venv $(LOCUST_VENV)
	$(LOCUST_VENV)/bin/pip install -q 'locust==$(LOCUST_VERSION)'

load: $(VENV)/.installed $(LOCUST_VENV)/bin/locust
	LOCUST=$(CURDIR)/$(LOCUST_VENV)/bin/locust loadtest/run.sh

# Vulnerability scan (loopback only, bounded): wapiti over the pages (logged in) and over the API (every
# GET operation of /api/schema/ with real demo ids, scan/seed.py), against gunicorn with the demo data; in
# its own virtualenv like locust. Fails on an unexplained finding (scan/report.py). Not in `make test`.
SCAN_VENV := var/scan-venv
WAPITI_VERSION := 3.2.3

$(SCAN_VENV)/bin/wapiti:
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install -q 'wapiti3==$(WAPITI_VERSION)'

scan: $(VENV)/.installed $(SCAN_VENV)/bin/wapiti
	WAPITI=$(CURDIR)/$(SCAN_VENV)/bin/wapiti scan/run.sh

# Schemathesis over /api/schema/: every operation, positive and negative examples, a token of every
# role; no 5xx. `make test` runs a bounded version (3 examples, admin + officer); this is the long one.
FUZZ_MAX_EXAMPLES ?= 50
fuzz: $(VENV)/.installed
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) FUZZ_ROLES=all $(PY) -m pytest tests/security/test_fuzz.py -q $(PYTEST_ARGS)

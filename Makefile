# Zhongshan joint utility-connection portal: developer and CI entry points.
# The two commands: `make run` (the embedded demo) and `make test` (everything CI checks).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
RUFF := $(VENV)/bin/ruff
MYPY := $(VENV)/bin/mypy
# What mypy checks (django-stubs, djangorestframework-stubs): the kit, the workflow tables,
# every services/selectors package and the observability wiring.
MYPY_PATHS := core applications/workflow.py notifications/workflow.py workgroups/workflow.py \
	applications/services applications/selectors applications/sharing.py workgroups/services.py \
	workgroups/selectors.py workgroups/identity.py workgroups/mobile.py \
	coordination/workflow.py coordination/clock.py coordination/services coordination/selectors \
	notifications/services notifications/selectors.py indicators/services indicators/selectors \
	portal/observability portal/backup.py portal/personal_data.py
# Stamps make installs idempotent: pip runs again only when pyproject.toml changes.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

# Dummy production environment for `check --deploy` and `docker-compose config`. The values look
# real so the checks are meaningful; they are never used anywhere.
DUMMY_SECRET_KEY := ci-only-9f4c2a7e1b6d8350c4e2f7a9b1d3c5e7f0a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0
PROD_ENV := DJANGO_SETTINGS_MODULE=portal.settings.production \
	DJANGO_SECRET_KEY=$(DUMMY_SECRET_KEY) \
	DJANGO_ALLOWED_HOSTS=portal.example.gov.cn \
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal
COMPOSE_ENV := DJANGO_SECRET_KEY=$(DUMMY_SECRET_KEY) \
	DJANGO_ALLOWED_HOSTS=portal.example.gov.cn \
	POSTGRES_PASSWORD=ci-only-postgres-password

# Local services for the tests, started with the same commands CI uses.
PG_START := pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
REDIS_START := redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
	--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
# pytest-xdist workers for `make test`: about 11 minutes on this shared 2-core machine with 3 workers (a
# third worker fills the time the others wait on subprocesses, browsers and sockets).
PYTEST_WORKERS ?= 3
PORT_OPEN := $(PY) -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)'

.PHONY: help run test bench lint typecheck fmt migrations messages services compose-check \
	alerts-check k8s-check clean backup restore

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q .
	@rm -rf build *.egg-info
	@touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q '.[dev]'
	@rm -rf build *.egg-info
	@touch $@ $(RUNTIME_STAMP)

run: $(RUNTIME_STAMP) ## Migrate, seed demo data, serve web + worker + beat on 127.0.0.1:8000 (PORT=...)
	$(PY) -m portal.devserver

test: $(DEV_STAMP) services lint typecheck ## Lint, type, migration and deploy checks, compose config, then pytest
	$(MANAGE) makemigrations --check --dry-run
	$(PROD_ENV) $(MANAGE) check --deploy --fail-level WARNING
	@$(MAKE) --no-print-directory compose-check
	@$(MAKE) --no-print-directory alerts-check
	@$(MAKE) --no-print-directory k8s-check
	@# Pages (and browser tests) need the collected static files under var/static.
	DJANGO_SETTINGS_MODULE=portal.settings.test $(MANAGE) collectstatic --noinput --verbosity 0
	@test -x /usr/bin/chromium || { echo "FAIL: tests/browser need Debian's chromium: apt-get install -y chromium" >&2; exit 1; }
	@command -v curl >/dev/null && command -v jq >/dev/null || { echo "FAIL: docs/api.md's walk-through (tests/api/test_api_guide.py) needs curl and jq: apt-get install -y curl jq" >&2; exit 1; }
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=30

bench: $(DEV_STAMP) services ## Benchmarks on scratch PostgreSQL data (never part of CI): sweep, fan-out, delivery, API
	@command -v wrk >/dev/null || { echo "FAIL: the API benchmark needs wrk: apt-get install wrk" >&2; exit 1; }
	$(PY) -m tests.benchmarks.bench_async
	$(PY) -m tests.benchmarks.bench_api
	$(PY) -m tests.benchmarks.bench_dashboard

lint: $(DEV_STAMP) ## ruff check + ruff format --check
	$(RUFF) check .
	$(RUFF) format --check .

typecheck: $(DEV_STAMP) ## mypy on the kit, the workflow tables, services and selectors
	$(MYPY) $(MYPY_PATHS)

fmt: $(DEV_STAMP) ## Apply ruff's fixes and formatting
	$(RUFF) check --fix .
	$(RUFF) format .

migrations: $(RUNTIME_STAMP) ## Write migrations for model changes (name hand-written ones)
	$(MANAGE) makemigrations

messages: $(RUNTIME_STAMP) ## Update the zh_Hans/en .po files and compile the .mo files (needs gettext)
	@command -v msgfmt >/dev/null || { echo "gettext is missing: apt-get install gettext" >&2; exit 1; }
	$(MANAGE) makemessages -l zh_Hans -l en --ignore=var --ignore=build --ignore=tests
	$(MANAGE) compilemessages --ignore='.*' --ignore=var --ignore=build

services: $(RUNTIME_STAMP) ## Make sure PostgreSQL (5432) and Redis (6379) answer on 127.0.0.1
	@$(call ensure_service,PostgreSQL,5432,$(PG_START))
	@$(call ensure_service,Redis,6379,mkdir -p /var/lib/redis /var/log/redis && $(REDIS_START))

compose-check: ## Validate docker-compose.yml (required in CI, skipped if docker-compose is absent)
	@if command -v docker-compose >/dev/null; then \
	  echo "docker-compose -f docker-compose.yml config -q"; \
	  $(COMPOSE_ENV) docker-compose -f docker-compose.yml config -q; \
	elif [ -n "$${CI:-}" ]; then \
	  echo "docker-compose is not installed (CI installs it in .ci/run)" >&2; exit 1; \
	else \
	  echo "docker-compose not installed: compose file not validated"; \
	fi

alerts-check: ## promtool: alert rules, their unit tests, the example config (required in CI)
	@if command -v promtool >/dev/null; then \
	  set -e; cd deploy/prometheus; \
	  echo "promtool check rules deploy/prometheus/alerts.yml"; promtool check rules alerts.yml; \
	  echo "promtool test rules deploy/prometheus/alerts.test.yml"; promtool test rules alerts.test.yml; \
	  promtool check config --syntax-only prometheus.yml; \
	elif [ -n "$${CI:-}" ]; then \
	  echo "FAIL: promtool is missing (Debian's prometheus package; .ci/run installs it)" >&2; exit 1; \
	else \
	  echo "promtool not installed (apt-get install prometheus): alert rules not checked"; \
	fi

# Backups (docs/operations.md, "Backup and restore"): the configured PostgreSQL database and the
# default storage's documents, one archive per run.
BACKUP_DIR ?= var/backups

backup: $(RUNTIME_STAMP) ## Archive the database + documents into BACKUP_DIR (default var/backups)
	$(MANAGE) backup --dir $(BACKUP_DIR) $(if $(KEEP_DAYS),--keep-days $(KEEP_DAYS))

restore: $(RUNTIME_STAMP) ## Verify ARCHIVE=... then restore it into an empty database and storage
	@test -n "$(ARCHIVE)" || { echo "usage: make restore ARCHIVE=var/backups/portal-backup-....tar" >&2; exit 2; }
	$(MANAGE) restore $(if $(VERIFY_ONLY),--verify-only) "$(ARCHIVE)"

# The Kubernetes version deploy/k8s/ is checked against: its schemas ship inside the pinned
# kubernetes-validate package (pyproject.toml), so the check needs no network.
K8S_VERSION := 1.33.0
k8s-check: $(DEV_STAMP) ## Validate deploy/k8s/ against the Kubernetes $(K8S_VERSION) schemas (strict, offline)
	$(VENV)/bin/kubernetes-validate --strict --kubernetes-version $(K8S_VERSION) --quiet \
	  $$(find deploy/k8s -name '*.yaml' | sort)
	@echo "deploy/k8s: valid for Kubernetes $(K8S_VERSION)"

clean: ## Delete the embedded database, broker queue, collected static and media (var/)
	rm -rf var/ build/ *.egg-info

# $(call ensure_service,NAME,PORT,START COMMAND): start a stopped local service; fail if still down.
define ensure_service
if ! $(PORT_OPEN) $(2) 2>/dev/null; then \
  echo "$(1) is not answering on 127.0.0.1:$(2); starting the local one"; \
  ( $(3) ) || true; \
  for _ in $$(seq 30); do $(PORT_OPEN) $(2) 2>/dev/null && break; sleep 1; done; \
fi; \
if $(PORT_OPEN) $(2) 2>/dev/null; then echo "$(1): up on 127.0.0.1:$(2)"; \
else echo "FAIL: $(1) is unreachable on 127.0.0.1:$(2) and the tests need it" >&2; exit 1; fi
endef

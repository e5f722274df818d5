# Audio2DTX: `make run` starts the app locally, `make test` runs the tests; both set up first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export NUMBA_CACHE_DIR := $(CURDIR)/var/numba-cache
# docker-compose (Debian's v1) only checks docker-compose.yml in the tests; deployments use `docker compose` when Docker has it.
SYSTEM_PACKAGES := ffmpeg redis-server chromium npm docker-compose
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
SERVICES := web worker models
# axe-core, which the browser tests inject to check accessibility (package-lock.json pins it).
AXE := node_modules/axe-core/axe.min.js
# Spleeter pins `tensorflow`, not tensorflow-cpu: it is installed without its own pins.
SPLEETER_VERSION := 2.4.2
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/audio2dtx

.PHONY: help setup system-packages run run-interactive test test-postgres build fetch-models start stop logs logs-web logs-worker logs-models health clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: system-packages $(STAMP) $(AXE) ## Install what is missing: FFmpeg, redis-server, Chromium, npm, docker-compose (apt), the Python packages (.venv) and axe-core (npm)
	@mkdir -p var $(NUMBA_CACHE_DIR)

system-packages: ## Install FFmpeg, redis-server, Chromium, npm and docker-compose with apt where their programs are missing
	@bash scripts/install-system-packages.sh $(SYSTEM_PACKAGES)

$(STAMP): requirements.txt constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
		{ echo "Python 3.11 is required (TensorFlow 2.12 and Spleeter need < 3.12); found $$($(PYTHON) --version)."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps spleeter==$(SPLEETER_VERSION)
	touch $(STAMP)

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

run: setup ## Start Redis, one RQ worker and the web server on http://127.0.0.1:8000 (Ctrl-C stops all)
	@bash scripts/run-local.sh

test: setup ## Run the tests (SQLite; they start their own redis-server and RQ workers)
	A2D_MODEL_DIR=$${A2D_MODEL_DIR:-$(abspath ../shared/models)} $(PY) -m pytest

test-postgres: setup ## Run the tests against PostgreSQL (POSTGRES_TEST_URL, default: local server, user postgres)
	A2D_MODEL_DIR=$${A2D_MODEL_DIR:-$(abspath ../shared/models)} DATABASE_URL=$(POSTGRES_TEST_URL) $(PY) -m pytest

run-interactive: setup ## Convert SONG=path in the terminal, asking for the chart's header (title, artist, charter, genre, ...)
	@test -n "$(SONG)" || { echo "Usage: make run-interactive SONG=path/to/song.mp3 [OUT=charts]"; exit 1; }
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py convert --interactive "$(SONG)" --out "$(or $(OUT),charts)"

build: ## Build the Docker image (web, worker and model service share it)
	$(COMPOSE) build

fetch-models: ## Download the model weights into the deployment's models volume (once, before the first start)
	$(COMPOSE) run --rm fetch-models

start: ## Start the Docker deployment (web, worker, model service, Redis, PostgreSQL) in the background
	$(COMPOSE) up -d

stop: ## Stop the Docker deployment
	$(COMPOSE) down

logs: ## Follow the Docker deployment's logs
	$(COMPOSE) logs -f

logs-web: ## Follow the web server's logs (the old logs-main)
	$(COMPOSE) logs -f web

logs-worker: ## Follow the worker's logs
	$(COMPOSE) logs -f worker

logs-models: ## Follow the model service's logs (the old logs-magenta)
	$(COMPOSE) logs -f models

health: ## Run each service's own health check (web, worker, model service) in the deployment
	@$(COMPOSE) ps
	@status=0; for service in $(SERVICES); do \
	  $(COMPOSE) exec -T $$service python scripts/healthcheck.py $$service || status=1; \
	done; exit $$status

clean: ## Remove caches and collected static files (keeps var/ data: songs, database)
	rm -rf staticfiles .pytest_cache var/numba-cache
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +

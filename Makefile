# Audio2DTX: `make run` starts the app locally, `make test` runs the tests; both set up first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export NUMBA_CACHE_DIR := $(CURDIR)/var/numba-cache
SYSTEM_PACKAGES := ffmpeg redis-server chromium npm
# axe-core, which the browser tests inject to check accessibility (package-lock.json pins it).
AXE := node_modules/axe-core/axe.min.js
# Spleeter pins `tensorflow`, not tensorflow-cpu: it is installed without its own pins.
SPLEETER_VERSION := 2.4.2
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/audio2dtx

.PHONY: help setup system-packages run test test-postgres build start stop logs health clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: system-packages $(STAMP) $(AXE) ## Install what is missing: FFmpeg, redis-server, Chromium, npm (apt), the Python packages (.venv) and axe-core (npm)
	@mkdir -p var $(NUMBA_CACHE_DIR)

system-packages: ## Install FFmpeg, redis-server, Chromium and npm with apt where their programs are missing
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

build: ## Build the Docker images
	docker compose build

start: ## Start the Docker deployment (web, worker, redis, postgres) in the background
	docker compose up -d

stop: ## Stop the Docker deployment
	docker compose down

logs: ## Follow the Docker deployment's logs
	docker compose logs -f

health: ## Ask the running app whether its database and Redis are reachable
	@curl -fsS http://127.0.0.1:8000/healthz/ && echo || { echo "unhealthy or not running"; exit 1; }

clean: ## Remove caches and collected static files (keeps var/ data: songs, database)
	rm -rf staticfiles .pytest_cache var/numba-cache
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +

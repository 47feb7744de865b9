# Lynex — `make help` lists the targets. `make dev` runs Lynex locally; `make test` runs every test.
SHELL := /bin/bash
PY_VERSION ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml sdk/python/pyproject.toml 2>/dev/null | sha1sum | cut -c1-12)
export LYNEX_HOME ?= $(CURDIR)/.lynex

.DEFAULT_GOAL := help
.PHONY: help setup dev test test-unit lint typecheck boundaries schema check check-deploy kafka-start kafka-stop kafka-status clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@echo "setup: creating $(VENV) and installing pinned dependencies (first run takes ~1 min)"
	@test -x $(PY) || $(PY_VERSION) -m venv $(VENV) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@if [ -f sdk/python/pyproject.toml ]; then $(PY) -m pip install -q -e sdk/python; fi
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP) ## create the virtualenv and install everything (idempotent)
	@bash scripts/kafka.sh install

kafka-start: ## start the local Kafka broker (127.0.0.1:9092)
	@bash scripts/kafka.sh start

kafka-stop: ## stop the local Kafka broker
	@bash scripts/kafka.sh stop

kafka-status: ## is the local broker running?
	@bash scripts/kafka.sh status

dev: setup ## run Lynex locally: real Kafka, the server on 127.0.0.1:8000, a dev project and key
	@bash scripts/dev.sh

test: setup ## set everything up, start Kafka, run every test, stop Kafka
	@bash scripts/test.sh

test-unit: setup ## unit tests only (no services)
	@$(PY) -m pytest tests/unit -q

lint: setup ## ruff
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: setup ## mypy --strict on the packages
	@$(VENV)/bin/mypy

boundaries: setup ## import boundaries: services never import each other
	@$(VENV)/bin/lint-imports

schema: setup ## regenerate the JSON Schema of the event contract
	@$(PY) -m contracts.schema

check-deploy: ## static checks of Dockerfile, compose.yaml and the Helm chart (no Docker, no cluster)
	@bash scripts/check-deploy.sh

check: lint typecheck boundaries ## every static check CI runs

clean: ## remove local state (.lynex), keeping the Kafka jars cache
	@bash scripts/kafka.sh stop || true
	@rm -rf .lynex

.PHONY: bench
bench: setup ## run the benchmarks (private Kafka, gateway, streams, freshness, query, SDK, dashboard; ~15 min) -> bench/results/
	@$(PY) -c "import fastapi, pydantic" 2>/dev/null || $(PY) -m pip install -q -e '.[bench]'
	@$(PY) -m bench.run
	@$(PY) -m bench.dashboard_bench

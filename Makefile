# Two commands set everything up on a fresh machine (Python 3.11, git, make):
#   make demo   render an example service into build/demo/ and validate it
#   make test   run the whole test suite: pytest, ruff and mypy
#
# Python packages go into .venv; checkov, which pins its own dependencies, gets a venv of
# its own under .tools/ and is put on PATH for the commands below. Backstage's entity
# validation (@backstage/catalog-model, pinned in tools/backstage/package-lock.json) goes
# into .tools/node/ when npm is on the machine; without npm its test is skipped.

PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
CHECKOV_VENV := .tools/checkov
# The release the generated pipelines pin (CHECKOV_VERSION in includes/pipelines.jinja):
# the suite checks what the pipelines will run.
CHECKOV_VERSION := 3.3.30
BACKSTAGE_DIR := .tools/node
# npm ci writes this hidden lock file last, so it stands for a complete install.
BACKSTAGE_STAMP := $(BACKSTAGE_DIR)/node_modules/.package-lock.json
EXAMPLE     ?= examples/answers/payments-api.yml
DEMO_DIR    := build/demo
export PATH := $(CURDIR)/$(CHECKOV_VENV)/bin:$(PATH)
# CRD schemas (Argo Rollouts, Prometheus Operator, ...) for the kubernetes-crds validator:
# a folder of <group>/<kind>_<version>.json. Optional; taken from ../shared when it is there.
ifeq ($(origin PAVED_CRD_SCHEMAS), undefined)
  ifneq ($(wildcard ../shared/schemas/crds),)
    export PAVED_CRD_SCHEMAS := $(abspath ../shared/schemas/crds)
  endif
endif

.PHONY: install demo test lint typecheck pytest template-test bench bench-fleet clean

$(BIN)/paved: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	@touch $@

$(BACKSTAGE_STAMP): tools/backstage/package.json tools/backstage/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  mkdir -p $(BACKSTAGE_DIR) && \
	  cp tools/backstage/package.json tools/backstage/package-lock.json $(BACKSTAGE_DIR)/ && \
	  npm ci --prefix $(BACKSTAGE_DIR) --no-audit --no-fund --loglevel=error && \
	  touch $@; \
	else \
	  echo "npm not found: the Backstage catalog-info.yaml check will be skipped" >&2; \
	fi

install: $(BIN)/paved $(CHECKOV_VENV)/bin/checkov $(BACKSTAGE_STAMP)

demo: install
	rm -rf $(DEMO_DIR)
	$(BIN)/paved new $(EXAMPLE) $(DEMO_DIR) --template .

# One worker per CPU (pytest-xdist); the slowest tests are listed at the end.
PYTEST_ARGS ?= -n auto --durations=25

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck pytest

# The template's check before a release (docs/upgrading.md): every example rendered and
# validated, and updated from TEMPLATE's latest release tag with a team's edits.
TEMPLATE ?= .
TEMPLATE_TEST_ARGS ?=
template-test: install
	$(BIN)/paved template test $(TEMPLATE) $(TEMPLATE_TEST_ARGS)

bench: install
	$(BIN)/python benchmarks/commands.py

bench-fleet: install
	$(BIN)/python benchmarks/fleet_status.py

clean:
	rm -rf build $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache

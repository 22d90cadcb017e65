# The two commands of the README. Each sets up what it needs on a fresh Debian
# machine with Python and root, then runs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint setup browser

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## make demo: a live call playing through the sidebar on the embedded defaults
demo: $(STAMP)
	$(BIN)/heard demo

browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## make test: lint, type-check, every test (real models, real Chromium), the cue bars
test: $(STAMP) browser lint
	$(BIN)/pytest -q
	$(BIN)/heard eval cues ../shared/calls --check

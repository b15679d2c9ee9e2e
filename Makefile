# Everything the project needs is installed by this file (no internet but package registries).
PY ?= python3
# Where the CPU build of torch comes from. Empty: pip's configured indexes (on our CI machines a
# local CPU wheel). Elsewhere: make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser demo test test-fast lint format evaluate bench docs cli-reference clean

setup: $(STAMP)

# CPU torch first (the wheel on disk), then the project in editable mode.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium + ChromeDriver for the end-to-end browser test.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

demo: setup
	$(BIN)/clusterradar demo --force  # rerunnable: replaces only the demo's own outputs in demo-output/

test: setup browser docs
	$(BIN)/ruff check .
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

evaluate: setup
	$(BIN)/clusterradar --db /tmp/clusterradar-eval.duckdb init
	$(BIN)/clusterradar --db /tmp/clusterradar-eval.duckdb evaluate

# The project's benchmark (docs/performance.md): make bench BENCH="--clusters 450 --pages 30"
BENCH ?= --clusters 60 --pages 30
bench: setup
	$(BIN)/python -m benchmarks $(BENCH)

# The manual (mkdocs.yml, docs/): strict, so a broken link or a page missing from the nav fails.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# Regenerate docs/cli-reference.md from the Typer app (tests/test_docs.py fails when it is stale).
cli-reference: setup
	$(BIN)/python docs/gen_cli_reference.py

clean:
	rm -rf $(VENV) demo-output site *.duckdb .pytest_cache .ruff_cache

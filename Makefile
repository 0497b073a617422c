# paperwire: `make run` serves the bundled corpus; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: run test install bench-ingest bench-web bench-load bench-search bench-digest assets clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0  # the CPU build first: a bare torch pulls a multi-GB CUDA build
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/paperwire init
	$(BIN)/paperwire ingest demo --if-empty --no-embed
	$(BIN)/paperwire index embed --bundled-only
	$(BIN)/paperwire serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest

bench-ingest: install
	$(BIN)/python benchmarks/ingest.py

bench-search: install
	$(BIN)/python benchmarks/search_quality.py

bench-digest: install
	$(BIN)/python benchmarks/digest_fanout.py

bench-web: install
	bash benchmarks/web_load.sh

bench-load: install  # CORPUS=75k for the 74,728-paper corpus; ARGS="--duration 10" etc.
	$(BIN)/python benchmarks/load.py --corpus $(or $(CORPUS),bundled) $(ARGS)

# Refresh the vendored front-end assets (KaTeX, htmx) from the npm registry; the built files are committed.
assets:
	npm ci --no-audit --no-fund
	bash scripts/vendor_assets.sh

clean:
	rm -rf $(VENV) data .pytest_cache test-artifacts node_modules

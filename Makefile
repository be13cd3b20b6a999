# Two entry points: `make demo` runs the main job (the whole program on the
# embedded defaults), `make test` runs every test.
# Both create the virtual environment in .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := tests/interop/node_modules/.package-lock.json

.PHONY: demo test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(NODE_STAMP): tests/interop/package.json tests/interop/package-lock.json
	npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error

demo: $(STAMP)
	$(BIN)/vcwork up --demo --exit-after-demo

test: $(STAMP) $(NODE_STAMP)
	scripts/run-tests.sh

clean:
	rm -rf $(VENV) tests/interop/node_modules vcwork-demo vcwork-data

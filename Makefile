# おでかけマップ (odekake). Two commands for a newcomer: `make run` and `make test`.
PY ?= /usr/bin/python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PGURL ?= postgresql+psycopg://postgres@127.0.0.1:5432/odekake_test

.PHONY: help setup run test test-sqlite test-postgis lint fmt clean db demo bench audit

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	./scripts/setup-system.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## system packages, .venv, the app installed in it
	$(BIN)/python scripts/i18n.py compile

db: setup  ## create/upgrade the embedded database, load the sample city, bring the search index in step
	$(BIN)/odekake init-db
	$(BIN)/odekake load-demo --if-empty
	$(BIN)/odekake reindex --check --quiet

run: db  ## set up, create the embedded database with the sample city, serve on http://127.0.0.1:5000
	$(BIN)/odekake run --host 127.0.0.1 --port 5000

test: setup  ## set up, then the whole suite on SpatiaLite and on PostGIS
	./scripts/prepare-postgis.sh
	$(BIN)/ruff check .
	ODEKAKE_TEST_POSTGIS_URL=$(PGURL) $(BIN)/pytest -p no:cacheprovider

lint: setup  ## ruff
	$(BIN)/ruff check .

fmt: setup
	$(BIN)/ruff check --fix .

audit: setup  ## pip-audit the installed dependencies against PyPI advisories (needs network; not part of `make test`)
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

bench: setup  ## benchmarks (print figures); installs wrk (Debian) for bench/load.py when missing
	./scripts/setup-system.sh wrk
	for f in bench/*.py; do $(BIN)/python $$f; done

clean:  ## remove the virtualenv and local instance data
	rm -rf $(VENV) instance .pytest_cache

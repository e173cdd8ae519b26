# Casework: `make run` and `make test` are all a newcomer needs (see README.md).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
MO := $(patsubst %.po,%.mo,$(wildcard casework/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test lint format bench i18n setup clean

setup: $(VENV)/.installed $(MO)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

casework/translations/%/LC_MESSAGES/messages.mo: casework/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

run: setup
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo-data --if-empty
	@echo "Casework on http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	CASEWORK_SCHEDULER=$${CASEWORK_SCHEDULER:-embedded} $(BIN)/gunicorn --bind 127.0.0.1:$(PORT) \
		--workers 1 --threads 8 --access-logfile - wsgi:app

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

# Refresh the catalogs after changing user-facing text; translate the new entries in the .po files.
i18n: setup
	$(BIN)/pybabel -q extract --no-location -F babel.cfg -k _l -k N_ -o casework/translations/messages.pot .
	$(BIN)/pybabel -q update -i casework/translations/messages.pot -d casework/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

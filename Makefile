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

# The demo's fake 12345 platform and channels (casework/demo/fakes.py) run beside it on FAKES_PORT (PORT+1) and
# are stopped with it; the feed, robots and SMS settings point at them where unset. CASEWORK_DEMO_FAKES=0: no fakes.
run: setup
	mkdir -p instance
	@fakes_port=$${FAKES_PORT:-$$(( $(PORT) + 1 ))}; fakes=; \
	if [ "$${CASEWORK_DEMO_FAKES:-1}" != 0 ]; then \
		$(BIN)/python -m casework.demo.fakes --port $$fakes_port & fakes=$$!; \
		trap 'kill $$fakes 2>/dev/null' EXIT; \
	fi; \
	$(FLASK) db upgrade || exit 1; \
	if [ -n "$$fakes" ] && settings=$$($(BIN)/python -m casework.demo.fakes --port $$fakes_port --settings); then \
		eval "$$settings"; \
	elif [ -n "$$fakes" ]; then kill $$fakes 2>/dev/null; fakes=; echo "Casework runs without them (FAKES_PORT=...)"; fi; \
	: $${CASEWORK_PHOTO_REQUIRED_CATEGORIES='["道路", "环境卫生"]'}; export CASEWORK_PHOTO_REQUIRED_CATEGORIES; \
	$(FLASK) demo-data --if-empty || exit 1; \
	[ -z "$$fakes" ] || echo "The demo's fake 12345 platform and robots (what they received): http://127.0.0.1:$$fakes_port/"; \
	echo "Casework on http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"; \
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

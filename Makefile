# Two commands do everything: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app.py

.PHONY: run test install install-dev translations messages chromium nginx services db clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d eventsys/translations

db: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty

run: db
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Debian's Chromium for the browser tests; never a browser downloaded by a test tool.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

# Debian's nginx for the tests that run docs/nginx.conf in front of the app (started by the tests on a free port).
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "Installing Debian's nginx for the tests behind a proxy"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx-light >/dev/null; }

services:
	@bash scripts/ensure-services.sh

test: install-dev chromium nginx services
	$(BIN)/pytest -n auto

clean:
	rm -rf $(VENV) .pytest_cache

# Refresh the catalogs after adding or changing user-facing text; then translate the new
# Indonesian entries (tests/test_i18n.py fails until every one is translated).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o eventsys/translations/messages.pot .
	$(BIN)/pybabel update -i eventsys/translations/messages.pot -d eventsys/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python scripts/fill_english_catalog.py eventsys/translations/en/LC_MESSAGES/messages.po

# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
PORT   ?= 5000
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := SIGNON_ENV=development $(BIN)/flask --app wsgi

.PHONY: run test test-fast lint format bench clean messages translations screenshots

# The app on http://127.0.0.1:$(PORT) with SQLite, the demo statement loaded
# and every email readable at /dev/mailbox. `make run PORT=8000` for another
# port (the links in emails follow it).
run: $(VENV)/.runtime translations
	$(FLASK) db upgrade
	$(FLASK) demo load
	SIGNON_BASE_URL=$${SIGNON_BASE_URL:-http://127.0.0.1:$(PORT)} \
		$(FLASK) run --debug --host 127.0.0.1 --port $(PORT)

# The whole test suite, on SQLite. To run it on PostgreSQL as well, point
# SIGNON_TEST_DATABASE_URL at a database it may wipe (see the README).
test: $(VENV)/.dev translations
	$(BIN)/pytest

# Everything but the tests that start servers and processes (about a minute less).
test-fast: $(VENV)/.dev translations
	$(BIN)/pytest -m "not slow"

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The benchmarks (bench/README.md): a statement with 100,000 signatories under
# load on SQLite and PostgreSQL, then whether the sign-on form's response
# time tells if an address signed (a repeat past the re-send interval, then
# one within it). Needs wrk (Debian: apt-get install wrk).
bench: $(VENV)/.dev
	$(BIN)/python bench/viral.py
	$(BIN)/python bench/signing_timing.py
	$(BIN)/python bench/signing_timing.py --set CONFIRM_RESEND_INTERVAL=900

# The catalogues (docs/translating.md): `make messages` extracts every marked
# string and merges it into each language's .po; `make translations` compiles
# them into the .mo files the app reads (run and test do it first). Only
# dot-folders are skipped: pybabel's default also skips templates/_macros.
CATALOGUES := signon/translations
messages: $(VENV)/.runtime
	$(BIN)/pybabel -q extract --ignore-dirs '.*' -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		--no-location --sort-output -o $(CATALOGUES)/messages.pot .
	$(BIN)/pybabel -q update -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) \
		--ignore-obsolete

translations: $(VENV)/.runtime
	$(BIN)/pybabel -q compile --statistics -d $(CATALOGUES)

# The README's screenshots (docs/screenshots/), at desktop and phone widths,
# in headless Chromium from Debian (apt-get install chromium).
screenshots: $(VENV)/.dev translations
	SIGNON_ENV=development $(BIN)/python tools/screenshots.py

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

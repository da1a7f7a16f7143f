# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := SIGNON_ENV=development $(BIN)/flask --app wsgi

.PHONY: run test lint format bench clean

# The app on http://127.0.0.1:5000 with SQLite, the demo statement loaded and
# every email readable at /dev/mailbox.
run: $(VENV)/.runtime
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) run --debug --host 127.0.0.1 --port 5000

# The whole test suite (SQLite; set DATABASE_URL to run it on PostgreSQL).
test: $(VENV)/.dev
	$(BIN)/pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

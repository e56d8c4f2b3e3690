# Two commands set everything up on a fresh machine (Python 3.11+ and make):
#   make demo   install, migrate, load the example plans and demo users, start the site
#   make test   the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

# Tests and the demo run with development settings unless told otherwise.
export DEBUG ?= true

.PHONY: install demo test bench screenshots lint format audit migrate run worker beat clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or later is needed (found %s)." % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)
	@$(BIN)/python -m improvement.syscheck

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_examples
	$(BIN)/python manage.py create_demo_users
	@echo "Open http://$(HOST)/ and sign in as one of the users above."
	$(BIN)/python manage.py runserver $(HOST)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run.py

screenshots: install
	$(BIN)/pytest -m browser tests/browser --screenshots -p no:randomly
	$(BIN)/python scripts/report_pages.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

audit: install
	$(BIN)/python scripts/audit_dependencies.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: install
	$(BIN)/celery -A improvement worker --loglevel=INFO

beat: install
	$(BIN)/celery -A improvement beat --loglevel=INFO

clean:
	rm -rf $(VENV) staticfiles var

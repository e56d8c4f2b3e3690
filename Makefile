# Two commands set everything up on a fresh machine (Python 3.11+ and make):
#   make demo   install, migrate, load the example plans and demo users, start the site
#   make test   the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every package pinned with its hashes (scripts/lock_dependencies.py writes it: make lock).
LOCK := requirements/dev.txt
# pip itself, installed first: the venv's own pip may be too old for the lock.
PIP_LOCK := requirements/pip.txt
LOCK_ARGS ?=
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

# Tests and the demo run with development settings unless told otherwise.
export DEBUG ?= true

.PHONY: install lock demo test smoke bench screenshots lint format audit migrate run worker beat clean

# The locked packages in hash-checking mode, then the project itself without hashes (pip
# refuses them for editables), built by the locked setuptools rather than an unchecked one.
$(STAMP): pyproject.toml $(LOCK) $(PIP_LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or later is needed (found %s)." % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(PIP_LOCK)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)
	@$(BIN)/python -m improvement.syscheck

# After changing the dependencies in pyproject.toml; LOCK_ARGS=--upgrade moves every
# package to its newest allowed release.
lock: install
	$(BIN)/python scripts/lock_dependencies.py $(LOCK_ARGS)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_examples
	$(BIN)/python manage.py create_demo_users
	@echo "Open http://$(HOST)/ and sign in as one of the users above."
	$(BIN)/python manage.py runserver $(HOST)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# docker-compose.yml's commands as processes on this machine, against its PostgreSQL and
# Redis (tests/production/test_smoke.py); .ci/run runs it after the suites.
smoke: install
	PRODUCTION_SMOKE=1 $(BIN)/pytest tests/production/test_smoke.py

bench: install
	$(BIN)/python bench/run.py

screenshots: install
	$(BIN)/pytest -m browser tests/browser --screenshots -p no:randomly
	$(BIN)/python scripts/report_pages.py

# ruff, then the layers (pyproject.toml [tool.importlinter], docs/architecture.md).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

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

# The two commands a fresh machine needs: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint messages clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Run the application with demo data on the embedded default (SQLite, filesystem broker).
run: $(STAMP)
	mkdir -p var/celery-broker var/celery-processed
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py seed_demo
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py compilemessages --ignore=.venv -v0
	bin/run-local

## Lint, check migrations and run the whole suite (PostgreSQL at DATABASE_URL or 127.0.0.1:5432).
test: $(STAMP)
	$(VENV)/bin/ruff check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py compilemessages --ignore=.venv -v0
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## Refresh the Swedish/English catalogues after changing user-facing text.
messages: $(STAMP)
	$(PY) manage.py makemessages -l sv -l en --ignore=.venv --ignore=static/vendor
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles

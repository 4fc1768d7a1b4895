# The two commands of the README: `make run` and `make test`. Everything else is optional.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_VERSION := 26.3
STAMP := $(VENV)/.installed-$(shell cat requirements.txt build-constraints.txt | cksum | cut -d' ' -f1)

.PHONY: run test venv lint audit bench clean-var

$(STAMP): requirements.txt build-constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "pip==$(PIP_VERSION)"
	# --build-constraint keeps setuptools<81 for packages still built with pkg_resources (xstatic)
	$(PY) -m pip install --quiet --build-constraint build-constraints.txt -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py runportal

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -ll -c pyproject.toml -r grc incidents access_reviews assets

clean-var:
	rm -rf var/

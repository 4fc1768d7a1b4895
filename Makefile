# The two commands of the README: `make run` and `make test`. Everything else is optional.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_VERSION := 26.3
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt build-constraints.txt | cksum | cut -d' ' -f1)

.PHONY: run test venv node lint layers checks audit bench clean-var

$(STAMP): requirements.txt requirements-dev.txt build-constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "pip==$(PIP_VERSION)"
	# --build-constraint keeps setuptools<81 for packages still built with pkg_resources (xstatic)
	# the runtime (requirements.txt) and the test and lint tools (requirements-dev.txt)
	$(PY) -m pip install --quiet --build-constraint build-constraints.txt -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# axe-core for the browser accessibility tests (package.json pins it, package-lock.json locks it):
# reinstalled when the lock file changes; `npm ci` installs exactly the locked version. Without npm
# the accessibility tests are skipped with the reason (they fail under REQUIRE_BROWSER=1, as in CI).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch $@; \
	else echo "npm not found (apt-get install npm): axe-core not installed, the accessibility tests will be skipped"; fi

node: node_modules/.package-lock.json

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py runportal

# Two processes (pytest-xdist) on the 2-core machines we run on; the slowest tests are listed at the end.
TEST_WORKERS ?= 2
test: venv node
	$(PY) -m pytest -n $(TEST_WORKERS) --durations=10 $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports  # the contracts of .importlinter: layers, independent domains, no cycles, no bench imports
	DJANGO_ENV=test $(VENV)/bin/mypy  # [tool.mypy] in pyproject.toml: strict on the core, accounts, audit and the engine
	$(VENV)/bin/bandit -q -ll -c pyproject.toml -r grc incidents access_reviews assets

# Redraw README's picture of the layers from .importlinter and the imports (tests/core/test_layers.py checks it).
layers: venv
	$(PY) -m tests.core.layers --write

# Release code scan (DPP 2.7), run by .ci/run: dependencies consistent, the production settings
# pass `check --deploy` (throwaway secrets made here, never stored), no model change without a migration.
checks: venv
	$(PY) -m pip check
	# a throwaway signing pair as production would have one (never stored), removed afterwards
	signing=$$(mktemp -d) && $(PY) -m grc.pdf_signing throwaway $$signing && \
	env -u DATABASE_URL -u REDIS_URL DJANGO_ENV=production DEBUG=false ALLOWED_HOSTS=portal.example.com \
		PDF_SIGNING_KEY_FILE=$$signing/key.pem PDF_SIGNING_CERT_FILE=$$signing/cert.pem \
		SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		FIELD_ENCRYPTION_KEY="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
		$(PY) manage.py check --deploy --fail-level WARNING; status=$$?; rm -rf $$signing; test $$status -eq 0
	DJANGO_ENV=test $(PY) manage.py makemigrations --check --dry-run

# Known vulnerabilities in the installed dependencies, at release time (needs the advisory database
# online). --strict fails when a package could not be audited instead of reporting "no known vulnerabilities".
audit: venv
	$(PY) -m pip_audit --strict

clean-var:
	rm -rf var/

# The portal at scale on PostgreSQL (README "Performance"): seeds BENCH_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/dpp_scale) at BENCH_FACTOR (default 1) if it is empty, then
# measures the main pages under gunicorn and the heavy jobs; writes bench/results.json.
bench: venv
	$(PY) bench/run.py $(BENCH_ARGS)

# `make run`: install and serve on the embedded defaults at http://127.0.0.1:5000.
# `make test`: install everything the tests need (Python, Debian and npm test peers) and run the suite.
# `make test-scale`: the volume runs of the worker-kill tests (1,000 results, PostgreSQL; Redis, and for the
# two-machine test also RabbitMQ).
# `make test-production`: the README's Production section end to end (PostgreSQL, Redis, gunicorn, Celery,
# oidc-provider, SoftHSM2): register with the documented commands, then post, sign, wallet, verify.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# QR codes, credentials and the development PKI's service URLs carry this address.
export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
# Debian packages the tests drive: pdfsig/pdftoppm, a PKCS#11 token, NSS tools, the browser, Node.js.
TEST_DEBS := poppler-utils softhsm2 opensc libnss3-tools chromium
NPM_PEERS := $(patsubst %/package.json,%,$(wildcard tests/peers/*/package.json))

# One pytest worker per core; a test file stays on one worker, so its module fixtures are made once.
TEST_WORKERS ?= auto
SCALE_RESULTS ?= 1000
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: install run test test-scale test-production test-deps system-packages npm-peers clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# One catalogue per area of the site; merged into each language's messages.mo.
CATALOGUES := $(wildcard wallet_service/translations/*/LC_MESSAGES/*.po)

wallet_service/translations/%/LC_MESSAGES/messages.mo: $(CATALOGUES) $(BIN)/.installed
	$(BIN)/python tools/compile_catalogues.py

install: $(BIN)/.installed wallet_service/translations/vi/LC_MESSAGES/messages.mo

run: install
	$(BIN)/wallet-service init
	$(BIN)/wallet-service run --host $(HOST) --port $(PORT)

system-packages:
	@missing=$$(for p in $(TEST_DEBS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

npm-peers:
	@for d in $(NPM_PEERS); do echo "npm ci in $$d"; (cd $$d && npm ci --no-audit --no-fund --loglevel=error) || exit 1; done

test-deps: install system-packages npm-peers

test: test-deps
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-scale: test-deps
	WALLET_SCALE_RESULTS=$(SCALE_RESULTS) WALLET_TEST_DATABASE_URL=$${WALLET_TEST_DATABASE_URL:-$(TEST_DATABASE_URL)} \
	  $(BIN)/pytest tests/scale/test_worker_killed.py tests/scale/test_two_machines.py $(PYTEST_ARGS)
	WALLET_FUZZ_EXAMPLES=200 $(BIN)/pytest tests/fuzz/test_api_fuzz.py $(PYTEST_ARGS)

test-production: test-deps
	WALLET_PRODUCTION_TEST=1 WALLET_TEST_DATABASE_URL=$${WALLET_TEST_DATABASE_URL:-$(TEST_DATABASE_URL)} \
	  $(BIN)/pytest -s tests/production $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache

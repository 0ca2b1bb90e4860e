# Plenary's commands. `make run` serves the demo; `make test` runs the whole suite.
# Both set everything up first on a fresh machine (Python 3.11, Node 20, npm).

PYTHON ?= python3
PORT ?= 8000
STANDIN_PORT ?= 8025
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP_RUNTIME := $(VENV)/.runtime-installed
STAMP_DEV := $(VENV)/.dev-installed
NODE_STAMP := frontend/node_modules/.installed
BUNDLE := static/dist/session.js
CHROMIUM ?= /usr/bin/chromium

.PHONY: setup setup-test run test test-embedded test-scaled bench lint messages clean

setup: $(STAMP_RUNTIME) $(BUNDLE) messages
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py migrate --noinput -v0

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# WeasyPrint (the minutes' PDF export) needs Pango; installed when missing and we
# are root (Debian's chromium brings it too).
PANGO := $(firstword $(wildcard /usr/lib/*/libpangoft2-1.0.so.0) /usr/lib/x86_64-linux-gnu/libpangoft2-1.0.so.0)

$(STAMP_RUNTIME): pyproject.toml | $(VENV)/bin/python $(PANGO)
	$(BIN)/pip install -q -e .
	touch $@

$(PANGO):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; \
	else echo "Pango is missing: install Debian's libpango-1.0-0 libpangoft2-1.0-0 (needs root)"; exit 1; fi

$(STAMP_DEV): pyproject.toml $(STAMP_RUNTIME)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

$(BUNDLE): $(NODE_STAMP) $(wildcard frontend/src/*)
	cd frontend && npm run build --silent

messages: $(STAMP_RUNTIME)
	$(BIN)/pybabel --quiet compile -d locale -D django

# Beside the demo, the bridge's stand-in (tests/standin/) plays Mastodon and Bluesky,
# where people post under #assmednum now and then; the server runs the bridge.
# Ctrl-C stops both.
run: setup
	$(PY) manage.py loaddemo
	$(PY) manage.py demo_bridge --standin http://127.0.0.1:$(STANDIN_PORT)
	@echo
	@echo "  Plenary is serving the demo on http://127.0.0.1:$(PORT)/"
	@echo "  (#assmednum posts arrive from the stand-in on 127.0.0.1:$(STANDIN_PORT))"
	@echo
	@$(PY) -m tests.standin --port $(STANDIN_PORT) --demo & standin=$$!; \
	trap 'kill $$standin 2>/dev/null; wait $$standin 2>/dev/null' EXIT INT TERM; \
	$(PY) -m livechat.bridge.serve --port $(PORT)

# Debian's Chromium drives the browser tests; installed when missing and we are root.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium is missing: install Debian's chromium package (needs root)"; exit 1; fi

# ffmpeg and nginx with its RTMP module make the streaming tests' real media
# (tests/streaming/media.py); installed the same way when missing and we are root.
NGINX_RTMP := /usr/lib/nginx/modules/ngx_rtmp_module.so
$(NGINX_RTMP):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			ffmpeg nginx libnginx-mod-rtmp >/dev/null; \
	else echo "ffmpeg and nginx-rtmp are missing: install Debian's ffmpeg nginx libnginx-mod-rtmp (needs root)"; exit 1; fi

setup-test: setup $(STAMP_DEV) $(CHROMIUM) $(NGINX_RTMP)

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

# The suite runs on the embedded default, then again on PostgreSQL and Redis when
# DATABASE_URL and REDIS_URL are set (as .ci/run sets them).
test: setup-test lint test-embedded test-scaled

test-embedded:
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest

test-scaled:
	@if [ -n "$$DATABASE_URL" ] || [ -n "$$REDIS_URL" ]; then \
		echo "== again on DATABASE_URL=$$DATABASE_URL REDIS_URL=$$REDIS_URL"; \
		$(BIN)/pytest; \
	fi

bench: setup-test
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) frontend/node_modules static/dist staticfiles var

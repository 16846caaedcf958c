# Zhuangma: `make demo` to see it, `make test` to check it. Both set up everything first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# The interpreter named in .python-version (pyenv provides it on these machines).
PYTHON ?= $(shell command -v python$$(cat .python-version) || command -v python3)
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the suite and the demo need: a browser for the journeys, CJK fonts for
# screenshots and PDFs, Pango for WeasyPrint's PDFs, gettext for the translation catalogue.
# redis-server: the production stack's smoke test (tests/db/test_production_stack.py).
SYSTEM_PACKAGES := chromium fonts-noto-cjk gettext libpango-1.0-0 libpangoft2-1.0-0 redis-server

.PHONY: demo test test-fast serve-prod bench loadtest setup system-deps venv messages catalogue lint clean

demo: setup
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) load_demo
	@echo "壮马 is at http://$(HOST):$(PORT)/ (English: http://$(HOST):$(PORT)/en/); Ctrl-C stops it."
	@trap 'kill 0' EXIT INT TERM; \
	  $(MANAGE) db_worker & \
	  $(MANAGE) runserver $(HOST):$(PORT)

test: setup
	$(PY) -m pytest

# The production processes (gunicorn and the task worker) on this machine. PostgreSQL and Redis
# must be running and DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY, ZHUANGMA_PERSONAL_DATA_KEY and
# DJANGO_ALLOWED_HOSTS set: docs/deployment.md says how. Ctrl-C stops both.
serve-prod: setup
	scripts/serve_prod.sh

# Server time and queries of the busiest pages at city scale, and the heavy jobs (a table;
# docs/performance.md). Fills build/bench/city.sqlite3 once (about 4 minutes), then reuses it;
# BENCH_DATABASE_URL=postgres://… measures PostgreSQL too. BENCH_ARGS passes options.
bench: setup $(VENV)/.installed-bench
	$(PY) scripts/bench.py $(BENCH_ARGS)
	@if [ -n "$(BENCH_DATABASE_URL)" ]; then $(PY) scripts/bench.py --database "$(BENCH_DATABASE_URL)" --skip-import $(BENCH_ARGS); fi

# Locust against gunicorn + PostgreSQL + Redis on loopback, then 200 judges submitting at once.
# LOADTEST_DATABASE_URL names a PostgreSQL database filled by generate_scale_data.
loadtest: setup $(VENV)/.installed-bench
	$(PY) scripts/loadtest/run.py --database "$(LOADTEST_DATABASE_URL)" $(LOADTEST_ARGS)

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet ".[bench]"
	touch $@

# The fast layers only: pure units and the database, no browser.
test-fast: setup
	$(PY) -m pytest -m "not browser"

setup: system-deps venv messages

system-deps:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[test]"
	touch $@

messages: venv
	$(MANAGE) compilemessages --ignore "$(VENV)/*" -v0

# After adding or changing user-facing strings: refresh the catalogue, then translate the new
# entries in locale/zh_Hans/LC_MESSAGES/django.po (tests/unit/test_catalogue.py checks it).
catalogue: venv
	DJANGO_SETTINGS_MODULE=cms.settings.test $(MANAGE) makemessages -l zh_Hans --no-location --no-obsolete \
	  $(foreach p,.venv/* test-artifacts/* tests/* static/* static_collected/* media/* build/* *.egg-info/*,-i "$(p)")

lint: venv
	$(VENV)/bin/ruff check .
	$(MANAGE) makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 static_collected test-artifacts *.egg-info

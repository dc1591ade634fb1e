# The README's two set-up commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SIM_PORT ?= 8001
SIM_ENV := export DJANGO_DEBUG=true PUBLIC_BASE_URL=http://$(HOST):$(PORT) VAPI_BASE_URL=http://127.0.0.1:$(SIM_PORT) VAPI_API_KEY=simulator-key VAPI_WEBHOOK_SECRET=simulator-secret

.PHONY: run test lint format migrate demo clean bench

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

run: $(VENV)/.installed
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py migrate --no-input --skip-checks
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py createcachetable
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py load_demo_data --skip-checks
	@echo ""
	@echo "  Admin:  http://$(HOST):$(PORT)/admin/   (login: admin / leasing-demo)"
	@# Without a Vapi key (environment or .env) the offline Vapi simulator stands in for Vapi:
	@# it runs in the background for as long as this target does (README, "Vapi and the simulator").
	@export DJANGO_DEBUG=$${DJANGO_DEBUG:-true}; PIDS=""; \
	trap 'kill $$PIDS 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	if [ -z "$$VAPI_API_KEY" ] && ! grep -Eqs '^[[:space:]]*VAPI_API_KEY=[^[:space:]#]' .env; then \
		export VAPI_BASE_URL=http://127.0.0.1:$(SIM_PORT) VAPI_API_KEY=simulator-key \
			VAPI_WEBHOOK_SECRET=simulator-secret PUBLIC_BASE_URL=http://$(HOST):$(PORT); \
		echo "  Vapi:   OFFLINE SIMULATOR at $$VAPI_BASE_URL (set VAPI_API_KEY to use the real Vapi)"; \
		echo "          commands in another terminal need: $(SIM_ENV)"; \
		$(PY) manage.py vapi_simulator --host 127.0.0.1 --port $(SIM_PORT) & PIDS="$$PIDS $$!"; \
	else \
		echo "  Vapi:   $${VAPI_BASE_URL:-https://api.vapi.ai} (real Vapi: PUBLIC_BASE_URL must reach this server)"; \
	fi; \
	BROKER="$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}"; \
	if [ -z "$$CELERY_BROKER_URL" ] && ! $(PY) -c "import redis; redis.Redis.from_url('$$BROKER', socket_connect_timeout=1).ping()" 2>/dev/null; then \
		BROKER=filesystem://; mkdir -p .celery/broker; \
		echo "  Tasks:  Celery worker + scheduler on kombu's FILESYSTEM transport (.celery/broker; no Redis at 127.0.0.1:6379)"; \
	else \
		echo "  Tasks:  Celery worker + scheduler on $$BROKER"; \
	fi; \
	export CELERY_BROKER_URL="$$BROKER"; mkdir -p .celery; \
	$(PY) -m celery -A config.celery worker --beat --schedule .celery/beat-schedule -c 2 -l WARNING & PIDS="$$PIDS $$!"; \
	echo ""; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=true $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm .pytest_cache .celery

# Browser tests only (headless Debian chromium); screenshots land in test-artifacts/.
.PHONY: test-browser
test-browser: $(VENV)/.installed
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

# Webhook load benchmark vs its reference (PostgreSQL, gunicorn, wrk); see bench/webhook_bench.py.
bench: $(VENV)/.installed
	bench/run.sh $(BENCH_ARGS)

# sync_calls peak memory for 1,000 to 10,000 calls at the simulator; see bench/sync_calls_memory.py.
.PHONY: bench-sync
bench-sync: $(VENV)/.installed
	$(PY) bench/sync_calls_memory.py $(BENCH_ARGS)

# Campaign runner at 1,000 / 10,000 / 100,000 contacts: scheduler tick time, memory and queries,
# dial throughput against budget / call length (PostgreSQL, Redis, gunicorn, Celery, faketime);
# see bench/campaign_bench.py.
.PHONY: bench-campaign
bench-campaign: $(VENV)/.installed
	$(PY) bench/campaign_bench.py $(BENCH_ARGS)

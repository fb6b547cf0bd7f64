# Two commands: `make run` (set up everything and serve) and `make test` (the whole suite);
# `make dev` serves with Django's auto-reloading development server instead, `make lint` checks the code with ruff.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The worker's shape: LAB_WORKER_PROCESSES runs at once (Celery's prefork pool), each on
# LAB_WORKER_THREADS PyTorch CPU threads; `make run LAB_WORKER_PROCESSES=1 LAB_WORKER_THREADS=2`.
# By default one single-threaded process per core: on 2 cores a class's burst of 6 comparisons
# finished in 230 s with 2 processes x 1 thread, 323 s with 1 x 2 and 516 s with 1 x 1
# (benchmarks/classroom.py, 2026-12-07; README, "Benchmarks"). At most one process per
# WORKER_GIB of memory (a training run of the default backbone peaks at about 3 GiB), at least one.
CPUS := $(shell nproc 2>/dev/null || echo 1)
MEM_GIB := $(shell awk '/^MemTotal:/ {print int($$2 / 1048576)}' /proc/meminfo 2>/dev/null || echo 4)
WORKER_GIB := 4
LAB_WORKER_THREADS ?= 1
LAB_WORKER_PROCESSES ?= $(shell n=$$(( $(CPUS) / $(LAB_WORKER_THREADS) )); m=$$(( $(MEM_GIB) / $(WORKER_GIB) )); \
	[ $$m -lt $$n ] && n=$$m; [ $$n -lt 1 ] && n=1; echo $$n)
DATA_DIR ?= $(CURDIR)/data
# What `make run` serves with: the production settings (DEBUG off, WhiteNoise's manifest of static
# files) on plain HTTP, for the loopback only, with a secret key made once and kept in DATA_DIR.
SERVE_ENV := DEBUG=0 HTTPS=0 DATA_DIR=$(DATA_DIR) SECRET_KEY_FILE=$(DATA_DIR)/secret_key
GUNICORN := $(VENV)/bin/gunicorn config.wsgi -b 127.0.0.1:$(PORT) -w 2 -k gthread --threads 4 --access-logfile -
WORKER := OMP_NUM_THREADS=$(LAB_WORKER_THREADS) LAB_WORKER_THREADS=$(LAB_WORKER_THREADS) $(VENV)/bin/celery -A config worker -Q gpu,default \
	--concurrency $(LAB_WORKER_PROCESSES) --loglevel INFO

.PHONY: run dev serve static test lint install migrate content worker check-deploy

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

content: migrate
	$(PY) manage.py loadcontent

static: install
	$(SERVE_ENV) $(PY) manage.py collectstatic --noinput -v 0

# The site on http://127.0.0.1:$(PORT) under gunicorn, as a deployment serves it, and one Celery
# worker (LAB_WORKER_PROCESSES processes) on the embedded broker; Ctrl-C stops both.
run: content static
	@echo "Starting the worker ($(LAB_WORKER_PROCESSES) process(es) x $(LAB_WORKER_THREADS) thread(s) on $(CPUS) CPUs) and the site on http://127.0.0.1:$(PORT)"
	@$(SERVE_ENV) $(WORKER) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(SERVE_ENV) $(GUNICORN)

# The site alone, as `make run` serves it (tests/test_make_run.py starts it).
serve: content static
	$(SERVE_ENV) exec $(GUNICORN)

# For developing: Django's auto-reloading development server with DEBUG on, and the worker.
dev: content
	@echo "Starting the worker and the development server on http://127.0.0.1:$(PORT)"
	@$(WORKER) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: install
	$(WORKER)

test: install
	$(VENV)/bin/pytest

# ruff's lint rules and its formatting, as pyproject.toml configures them (`ruff format .` formats).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-deploy: install
	DEBUG=0 SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(50))") \
	ALLOWED_HOSTS=learn.example.org $(PY) manage.py check --deploy --fail-level WARNING

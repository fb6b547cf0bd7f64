# Two commands: `make run` (set up everything and serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The worker's CPU threads for PyTorch. 1 by default: on a shared 2-core machine two threads wait on
# each other (the lesson's demo took 247 s with 2 and 38 s with 1 at load 5; docs/lab.md). A dedicated
# machine may do better with more: `make run LAB_WORKER_THREADS=2`.
LAB_WORKER_THREADS ?= 1
WORKER := OMP_NUM_THREADS=$(LAB_WORKER_THREADS) $(VENV)/bin/celery -A config worker -Q gpu,default --concurrency 1 --loglevel INFO

.PHONY: run test install migrate content worker check-deploy

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

# The site on http://127.0.0.1:$(PORT) and one Celery worker on the embedded broker;
# Ctrl-C stops both.
run: content
	@echo "Starting the worker and the site on http://127.0.0.1:$(PORT)"
	@$(WORKER) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: install
	$(WORKER)

test: install
	$(VENV)/bin/pytest

check-deploy: install
	DEBUG=0 SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(50))") \
	ALLOWED_HOSTS=learn.example.org $(PY) manage.py check --deploy --fail-level WARNING

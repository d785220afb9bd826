# PartnerHub developer commands. Only Python 3.11+ and make are needed on the machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast reliability bench lint format typecheck check install stop clean

$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing PartnerHub with its dev tools"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

## make run: migrate, load the demo, start web + worker + beat (Ctrl-C stops them all)
run: $(STAMP)
	@$(PY) manage.py devstack

## make test: the whole suite, every tier, in parallel (real PostgreSQL/Redis from the env,
## else embedded ones); TEST_WORKERS=0 runs it in one process. Tests go out two at a time,
## the slow tiers first, so the longest start at once.
TEST_WORKERS ?= 3
test: $(STAMP)
	@$(PY) -m pytest -n $(TEST_WORKERS) --maxschedchunk 2 $(PYTEST_ARGS)

## make test-fast: everything but the browser, real-worker and slow tiers, on the test
## database template of the last run (--reuse-db) while the migrations are unchanged
FAST_WORKERS ?= 4
test-fast: $(STAMP)
	@$(PY) -m pytest -n $(FAST_WORKERS) --maxschedchunk 2 --reuse-db \
		-m "not browser and not worker and not slow" $(PYTEST_ARGS)

## make bench: benchmark suite with ratios to floors (BENCH_SIZE=small|medium|full), not part of test
BENCH_SIZE ?= small
bench: $(STAMP)
	@$(PY) manage.py migrate -v0
	@BENCH_SIZE=$(BENCH_SIZE) $(PY) bench/run.py $(BENCH_ARGS)
## make reliability: crash suite (SIGKILLed workers, broker restarts, dropped DB connections)
## and a steady load test, then a summary table (also written to docs/reliability.md).
## LOAD_SECONDS=60 for a shorter load run; needs PostgreSQL, Redis and redis-server on PATH.
LOAD_SECONDS ?= 300
LOAD_RATE ?= 20
KILLS ?= 20
reliability: $(STAMP)
	@$(PY) -m reliability.run --load-seconds $(LOAD_SECONDS) --rate $(LOAD_RATE) --kills $(KILLS)

lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/lint-imports --no-cache
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy .

format: $(STAMP)
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

## make stop: stop the embedded PostgreSQL and Redis (if any are running)
stop: $(STAMP)
	@$(PY) -m devtools.embedded stop

clean: stop
	rm -rf .data $(VENV)

# Two commands for a new user: `make run` and `make test`. Everything lands in .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test coverage eval model bench lint audit clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)  ## create .venv with the locked dependencies and the `tact` command

run: setup  ## start Tact on embedded defaults: SQLite, in-process tasks, http://127.0.0.1:8000
	$(BIN)/tact db upgrade
	$(BIN)/tact serve

test: setup  ## run the whole suite (needs Redis and PostgreSQL on 127.0.0.1)
	$(BIN)/ruff check service worker tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

coverage: setup  ## the test suite with branch coverage of service/ and worker/ (in-process code only)
	$(BIN)/python -m pytest --cov --cov-report=term-missing:skip-covered

eval: setup  ## accuracy on our own labeled corpus
	$(BIN)/tact eval tests/corpus/test.jsonl --by category

# The tone model learns from the dev halves and training rows named in tests/corpus/model-rows.txt, never
# from a test half; a test fails when those rows change and the model was not trained again.
MODEL_ROWS := $(addprefix tests/corpus/,$(shell cat tests/corpus/model-rows.txt))
model: setup  ## train service/analysis/model/tone.json again (a few minutes)
	$(BIN)/tact train $(MODEL_ROWS)

bench: setup  ## speed and memory figures (bench/ingest.py needs Debian's wrk, installed here when missing)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/analyze.py
	$(BIN)/python bench/hostile.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/e2e.py

audit:  ## known vulnerabilities in requirements.lock (pip-audit; needs PyPI's JSON API or OSV on the network)
	$(PYTHON) -m venv .venv-audit
	.venv-audit/bin/python -m pip install --quiet "pip-audit>=2.7,<3"
	.venv-audit/bin/pip-audit --strict --require-hashes --disable-pip -r requirements.lock

lint: setup  ## style checks (ruff)
	$(BIN)/ruff check service worker tests bench

clean:
	rm -rf $(VENV) .venv-audit instance/*.sqlite3

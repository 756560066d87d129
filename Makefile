# simkit: two commands from a fresh clone (Python 3.11 and make are all it needs).
#   make demo   install simkit in .venv, run the quickstart scenario, print its summary and
#               write its report (CSV, PNG and reports/quickstart/index.html)
#   make test   install the dev extra in .venv, lint, run the whole test suite
#   make soak   the randomized tests (engine state machine, fuzzing, save/restore) with the
#               hypothesis profile soak (SIMKIT_HYPOTHESIS_PROFILE=soak): far more and
#               longer histories than make test's 200 x 50 steps; and the recording server
#               under 8 SDK clients x 200 calls; takes several minutes
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test soak bench lab lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-base: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PIP) install -e '.[dev]'
	touch $@ $(VENV)/.stamp-base

demo: $(VENV)/.stamp-base
	$(VENV)/bin/simkit report scenarios/quickstart.yaml --out reports/quickstart

lint: $(VENV)/.stamp-dev
	$(PY) -m ruff check .

test: lint
	$(PY) -m pytest

soak: $(VENV)/.stamp-dev
	SIMKIT_HYPOTHESIS_PROFILE=soak $(PY) -m pytest tests/test_engine_stateful.py \
		tests/test_fuzz.py tests/test_persist.py
	$(PY) -m pytest -m slow tests/test_record.py

bench: $(VENV)/.stamp-dev
	@status=0; for b in allocator.py engine.py "engine.py --million" conflicts.py sweep.py \
		server.py company.py; do echo "== benchmarks/$$b"; $(PY) benchmarks/$$b || status=1; \
		done; exit $$status

lab: $(VENV)/.stamp-dev
	$(VENV)/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache reports build *.egg-info

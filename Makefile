# simkit: two commands from a fresh clone (Python 3.11 and make are all it needs).
#   make demo   install simkit in .venv, run the quickstart scenario, write its report
#   make test   install the dev extra in .venv, lint, run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test bench lab lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-base: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PIP) install -e '.[dev]'
	touch $@ $(VENV)/.stamp-base

demo: $(VENV)/.stamp-base
	$(VENV)/bin/simkit run scenarios/quickstart.yaml --report reports/quickstart

lint: $(VENV)/.stamp-dev
	$(PY) -m ruff check .

test: lint
	$(PY) -m pytest

bench: $(VENV)/.stamp-dev
	$(PY) benchmarks/allocator.py
	$(PY) benchmarks/engine.py

lab: $(VENV)/.stamp-dev
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache reports build *.egg-info

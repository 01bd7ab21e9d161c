# The team's entry points. Each target creates the virtual environment first if it is missing.
#   make plan STACK=prod   offline plan of one stack (no STACK: every stack)
#   make test              the whole test suite
#   make bench             wall time of the offline synth per stack

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STACK ?=
STACK_ARGS := $(if $(STACK),--stack $(STACK),)

.PHONY: venv plan synth test bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

plan: venv
	$(PY) -m tools.plan $(STACK_ARGS)

synth: venv
	$(PY) -m tools.synth --stack $(or $(STACK),prod) --out synth-$(or $(STACK),prod).json

test: venv
	$(PY) -m pytest -n 2 -q

bench: venv
	$(PY) -m tools.bench

clean:
	rm -rf $(VENV) synth-*.json .pytest_cache

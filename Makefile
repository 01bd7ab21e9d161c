# The team's entry points. Each target creates the virtual environment first if it is missing.
#   make plan STACK=prod   offline plan of one stack (no STACK: every stack), then its policy check
#   make policy STACK=prod synth + offline policy check with policies/config/<stack>.json (no STACK: every stack)
#   make test              the whole test suite
#   make bench             wall time of the offline synth per stack

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STACK ?=
STACK_ARGS := $(if $(STACK),--stack $(STACK),)

.PHONY: venv plan policy synth test bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

plan: venv
	$(PY) -m tools.plan $(STACK_ARGS) --policy

POLICY_STACKS = $(or $(STACK),$(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml)))

policy: venv
	@status=0; for stack in $(POLICY_STACKS); do \
		$(PY) -m tools.synth --stack $$stack --out synth-$$stack.json || exit 2; \
		$(PY) -m tools.policy_check synth-$$stack.json --policy-config policies/config/$$stack.json || status=$$?; \
	done; exit $$status

synth: venv
	$(PY) -m tools.synth --stack $(or $(STACK),prod) --out synth-$(or $(STACK),prod).json

test: venv
	$(PY) -m pytest -n 2 -q

bench: venv
	$(PY) -m tools.bench

# Delivery (.github/workflows call these, as a developer would).
#   make policy-venv         the policy pack's own virtualenv (policies/venv, per PulumiPolicy.yaml)
#   make ci-plan STACK=prod  offline plan + policy check into ci-out/<stack>/ and the job summary
.PHONY: policy-venv ci-plan
POLICY_VENV := policies/venv
CI_OUT ?= ci-out

policy-venv: $(POLICY_VENV)/.installed

$(POLICY_VENV)/.installed: policies/requirements.txt
	@test -x $(POLICY_VENV)/bin/python || $(PYTHON) -m venv $(POLICY_VENV) || python3 -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r policies/requirements.txt
	@touch $@

ci-plan: venv
	$(PY) -m tools.ci_report --stack $(or $(STACK),$(error ci-plan needs STACK=<stack>)) --out $(CI_OUT)

clean:
	rm -rf $(VENV) $(POLICY_VENV) $(CI_OUT) synth-*.json .pytest_cache

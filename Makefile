# The team's entry points. Each target creates the virtual environment first if it is missing.
#   make plan STACK=prod   offline plan of one stack (no STACK: every stack), its policy check and cost
#   make plan BASE=main    ... and what deploying this tree over that git ref's would change (tools.diff)
#   make cost STACK=prod   monthly cost estimate of one stack (tools.cost; default prod)
#   make prices            rewrite tools/cost/prices.json from the AWS Price List API (AWS credentials)
#   make policy STACK=prod synth + offline policy check with policies/config/<stack>.json (no STACK: every stack)
#   make test              the whole test suite
#   make bench             wall time of the offline synth and plan per stack, and of `make plan` against one synth
#   make bench-tests       wall time of the whole test suite
#   make lint              ruff (lint and format check) and basedpyright (types against the typed SDK)
#   make lock              recompile the hashed lock files from the human-edited requirements files
#   make diagrams          redraw docs/diagrams/<stack>.svg from each stack's synth (needs Graphviz)
#   make graphviz          install Debian's Graphviz (`dot`) when it is missing
#   make mutate            mutation testing of settings/, components/ and the policy pack (slow: hours)
#   make mutate-score      the mutation scores per module and package from what mutants/ holds
#   make mutate-report     the surviving mutants, each with its diff (also into mutants/survivors.txt)
#   make mutate-survivors  the surviving mutants (of MUTATE's modules) measured again, after new tests
#   make postgresql        install Debian's PostgreSQL (the bootstrap function's tests start a cluster) when missing

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STACK ?=
STACK_ARGS := $(if $(STACK),--stack $(STACK),)

# The project's own bytecode is cached in __pycache__ (git-ignored) even where the environment says
# PYTHONDONTWRITEBYTECODE: without the cache every process compiles the project again, and each test
# process has pytest rewrite the asserts of all ~100 test modules, about 2 CPU-s per process.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: venv plan policy synth cost prices test bench bench-tests lint format lock docs clean graphviz postgresql diagrams \
	mutate mutate-survivors mutate-score mutate-report

# .venv holds exactly requirements.lock: uv (bootstrapped by pip from its own hashed lock) syncs it,
# checking every hash and removing whatever the lock does not list. It compiles the bytecode, as
# pip does: pulumi-aws is 120 MB of Python, and a process that cannot write __pycache__
# (PYTHONDONTWRITEBYTECODE, a read-only venv) would otherwise compile what it imports every run.
UV := $(VENV)/bin/uv
UV_SYNC = $(UV) pip sync --quiet --require-hashes --compile-bytecode --python

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.lock requirements-bootstrap.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-bootstrap.lock
	$(UV_SYNC) $(PY) requirements.lock
	@touch $@

# The human-edited inputs are requirements.txt, requirements-dev.txt and policies/requirements.txt.
# The pack's lock is constrained by the project's, so the two agree on every package they share.
UV_COMPILE = $(UV) pip compile --quiet --generate-hashes --python-version 3.11 --universal
lock: venv
	$(UV_COMPILE) requirements-dev.txt -o requirements.lock
	grep -E '^uv==' requirements-dev.txt | $(UV_COMPILE) - -o requirements-bootstrap.lock
	$(UV_COMPILE) policies/requirements.txt --constraint requirements.lock -o policies/requirements.lock

plan: venv
	$(PY) -m tools.plan $(STACK_ARGS) --policy $(if $(BASE),--base $(BASE),)

POLICY_STACKS = $(or $(STACK),$(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml)))

policy: venv
	@status=0; for stack in $(POLICY_STACKS); do \
		$(PY) -m tools.synth --stack $$stack --out synth-$$stack.json || exit 2; \
		$(PY) -m tools.policy_check synth-$$stack.json --policy-config policies/config/$$stack.json || status=$$?; \
	done; exit $$status

synth: venv
	$(PY) -m tools.synth --stack $(or $(STACK),prod) --out synth-$(or $(STACK),prod).json

cost: venv
	$(PY) -m tools.cost --stack $(or $(STACK),prod)

prices: venv
	$(PY) -m tools.cost.prices

# One worker per CPU, forked after collection (tests/fork_workers.py), each taking whole modules,
# so module-scoped fixtures (the policy reports, the custom synths) are built once per run.
test: venv
	$(PY) -m pytest --forks auto -q

LINT_PATHS := __main__.py composition settings components tools ops policies tests functions

lint: venv
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/basedpyright

format: venv
	$(VENV)/bin/ruff check --fix $(LINT_PATHS)
	$(VENV)/bin/ruff format $(LINT_PATHS)

bench: venv
	$(PY) -m tools.bench
	$(PY) -m tools.bench --plan

bench-tests: venv
	$(PY) -m tools.bench --suite

docs: venv
	$(PY) -m tools.docs --write

# Mutation testing (docs/development.md): mutmut, configured in pyproject.toml, mutates one function
# at a time and runs the tests that reach it. It keeps what it measured in mutants/:
#   make mutate                           the mutants not measured yet (the first time: all), then the scores
#   make mutate MUTATE="settings.windows" only these modules' (or packages') mutants not measured yet
#   make mutate MUTATE_TIME=320m          stops (as Ctrl-C does, keeping what it measured) after that long
# At the lowest priority and one mutant at a time by default, so it only takes idle CPU. mutmut gets
# SIGINT's default action back: a shell starts a background job (`make mutate &`, nohup) with SIGINT
# ignored, and MUTATE_TIME's SIGINT would then never stop it.
MUTATE ?=
MUTATE_CHILDREN ?= 1
MUTATE_TIME ?=
MUTMUT_RUN = nice -n 19 $(if $(MUTATE_TIME),timeout --signal=INT $(MUTATE_TIME)) env --default-signal=INT \
	$(VENV)/bin/mutmut run --max-children $(MUTATE_CHILDREN)
# $(call MUTMUT_NAMED,<tools.mutation arguments>,<what to say when they name no mutant>): mutmut on
# the mutants tools.mutation names, never on none (mutmut given no name runs every mutant not
# measured yet).
MUTMUT_NAMED = names="$$($(PY) -m tools.mutation $(1))" && \
	if [ -z "$$names" ]; then echo "$(2)"; else $(MUTMUT_RUN) $$names || test $$? -eq 124; fi
# mutmut measures again every mutant it is given by name, so MUTATE's modules are handed over as
# the names of their mutants still to measure (tools.mutation unmeasured): a run stopped part-way
# through resumes where it stopped.
mutate: venv
	@$(if $(MUTATE),$(call MUTMUT_NAMED,unmeasured $(MUTATE),nothing left to measure in $(MUTATE)),\
		$(MUTMUT_RUN) || test $$? -eq 124)
	@$(MAKE) --no-print-directory mutate-score

# The survivors (of MUTATE's modules, or all) measured again, after tests were written for them:
# far cheaper than their modules again.
mutate-survivors: venv
	@$(call MUTMUT_NAMED,survivors --names $(MUTATE),no survivors to measure again)
	@$(MAKE) --no-print-directory mutate-score

mutate-score: venv
	@$(PY) -m tools.mutation score

mutate-report: venv
	@$(PY) -m tools.mutation survivors --diff

# Graphviz lays out tools.diagram's drawings; root installs directly, anyone else through sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
graphviz:
	@command -v dot >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }

# Only the binaries matter (tests/postgres_support.py runs its own throwaway cluster).
postgresql:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

diagrams: venv graphviz
	@for stack in $(POLICY_STACKS); do \
		$(PY) -m tools.diagram --stack $$stack --out docs/diagrams/$$stack.svg || exit 2; \
	done

# Delivery (.github/workflows call these, as a developer would).
#   make policy-venv         the policy pack's own virtualenv (policies/venv, per PulumiPolicy.yaml)
#   make ci-plan STACK=prod  offline plan + policy check into ci-out/<stack>/ and the job summary
#   make pr-report STACK=prod BASE_REF=<commit> [PR_NUMBER=<n>]
#                            change review of one stack (base vs head) into ci-out/pr-report/
#   make pr-comment          the sticky pull-request comment from ci-out/pr-reports/ (stdlib only)
#   make preflight STACK=prod | make verify STACK=prod
#   make snapshot STACK=prod [REASON=...] | make restore-drill STACK=prod [DRILL_CHECK=tcp|none]
#                            [DRILL_SITE=recovery: the backups replicated to the recovery site, no check]
#                            the operations commands (python -m ops), their result also in the job
#                            summary when $GITHUB_STEP_SUMMARY is set
.PHONY: policy-venv ci-plan pr-report pr-comment preflight verify snapshot restore-drill
POLICY_VENV := policies/venv
CI_OUT ?= ci-out

policy-venv: $(POLICY_VENV)/.installed

$(POLICY_VENV)/.installed: policies/requirements.lock | venv
	@test -x $(POLICY_VENV)/bin/python || $(PYTHON) -m venv $(POLICY_VENV) || python3 -m venv $(POLICY_VENV)
	$(UV_SYNC) $(POLICY_VENV)/bin/python policies/requirements.lock
	@touch $@

ci-plan: venv
	$(PY) -m tools.ci_report --stack $(or $(STACK),$(error ci-plan needs STACK=<stack>)) --out $(CI_OUT)

clean:
	rm -rf $(VENV) $(POLICY_VENV) $(CI_OUT) synth-*.json .pytest_cache mutants

pr-report: venv policy-venv graphviz
	$(PY) -m tools.pr_report --stack $(or $(STACK),$(error pr-report needs STACK=<stack>)) \
		--base-ref $(or $(BASE_REF),$(error pr-report needs BASE_REF=<commit>)) \
		--out $(CI_OUT)/pr-report $(if $(PR_NUMBER),--pr $(PR_NUMBER),)

# Runs from the default branch in the workflow_run job, with the system Python: no virtualenv,
# nothing installed, no code of the pull request.
pr-comment:
	python3 -m tools.pr_comment --reports $(CI_OUT)/pr-reports --out $(CI_OUT)/pr-comment.md --post

OPS_STACK = $(or $(STACK),$(error $@ needs STACK=<stack>))
OPS_SUMMARY = $(if $(GITHUB_STEP_SUMMARY),--summary "$(GITHUB_STEP_SUMMARY)",)
REASON ?= deploy of $(or $(GITHUB_SHA),the working tree)
DRILL_CHECK ?= tcp
SNAPSHOT_TIMEOUT ?= 120

preflight: venv
	$(PY) -m ops preflight --stack $(OPS_STACK) $(OPS_SUMMARY)

verify: venv
	$(PY) -m ops verify --stack $(OPS_STACK) $(OPS_SUMMARY)

snapshot: venv
	$(PY) -m ops snapshot --stack $(OPS_STACK) --reason "$(REASON)" --timeout $(SNAPSHOT_TIMEOUT) $(OPS_SUMMARY)

DRILL_SITE ?=
DRILL_ARGS = $(if $(filter recovery,$(DRILL_SITE)),--recovery-site --check none,--check $(DRILL_CHECK))

restore-drill: venv
	$(PY) -m ops restore-drill --stack $(OPS_STACK) $(DRILL_ARGS) $(OPS_SUMMARY)

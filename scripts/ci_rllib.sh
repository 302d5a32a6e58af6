#!/usr/bin/env bash
# CI step for the optional RLlib integration (ray[rllib] 2.60 pins gymnasium 1.2.2, so it gets
# its own environment): builds .venv-rllib from constraints-rllib.txt when missing or stale,
# then runs the env and shipped-checker suites on gymnasium 1.2.2 and tests_rllib/.
#
#   scripts/ci_rllib.sh            # PYTHON=python3.11 scripts/ci_rllib.sh to pick the interpreter
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1
export RAY_USAGE_STATS_ENABLED=0
PYTHON="${PYTHON:-python3}"
VENV=.venv-rllib
STAMP="$VENV/.installed-stamp"

if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || [ constraints-rllib.txt -nt "$STAMP" ]; then
  test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # embeddings: tests/envs includes the debate checks with the real MiniLM embedding model
  "$VENV/bin/python" -m pip install -q -c constraints-rllib.txt -e ".[test,rllib,embeddings]"
  touch "$STAMP"
fi

"$VENV/bin/python" - <<'PY'
import gymnasium, ray
assert gymnasium.__version__ == "1.2.2", gymnasium.__version__
print(f"RLlib step: ray {ray.__version__}, gymnasium {gymnasium.__version__}")
PY
"$VENV/bin/python" -m pytest -p no:cacheprovider tests/envs tests/testing tests_rllib

#!/usr/bin/env bash
# The GPU check (scripts/gpu_check.py) on the device machine, whose image has torch, transformers
# and numpy but not gymnasium, pettingzoo, reasoning-gym, tianshou, torchrl nor econ-env itself:
# those travel as wheels in .whl/ (ignored through .git/info/exclude).
#
#   bash scripts/gpu_check.sh prepare   # here, once per change of the code: fill .whl/
#   bash scripts/gpu_check.sh           # there (or anywhere): install .whl/, run the check
#
# Then, with the device tool: run(command="bash scripts/gpu_check.sh", carry=[".whl"],
# timeout_s=540). The results come back as $OUT/gpu_check.json and $OUT/gpu_check.log.
# `bash scripts/gpu_check.sh --cpu` (any gpu_check.py flag passes through) runs the CPU mode.
# `bash scripts/gpu_check.sh study ARGS` runs the sim-to-real study instead
# (benchmarks/sim_to_real.py ARGS --out $OUT/sim_to_real; docs/fidelity.md, "On a GPU").
set -euo pipefail
cd "$(dirname "$0")/.."
WHL=.whl
PY_HERE=${PY_HERE:-.venv/bin/python}

if [ "${1:-}" = prepare ]; then
  exclude=$(git rev-parse --git-path info/exclude)
  mkdir -p "$(dirname "$exclude")"
  grep -qx '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >>"$exclude"
  rm -rf "$WHL" && mkdir -p "$WHL"
  # econ-env itself (a wheel: its policies are found through its entry points)
  "$PY_HERE" -m pip wheel -q --no-deps --no-build-isolation -w "$WHL" .
  # every other package these checks import that the image lacks, at this venv's versions
  "$PY_HERE" scripts/gpu_check.py --wheel-requirements >"$WHL/requirements.txt"
  plat=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64)
  while read -r req; do
    [ -n "$req" ] || continue
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
      --implementation cp "${plat[@]}" -d "$WHL" "$req" 2>/dev/null ||
      python3 -m pip download -q --no-deps --no-binary=:all: -d "$WHL" "$req" ||
      echo "could not download $req" >&2
  done <"$WHL/requirements.txt"
  du -sh "$WHL"
  exit 0
fi

OUT=${OUT:-build/gpu_check}
mkdir -p "$OUT"
PY=python3  # the device image's Python (the one with torch); here, the project's venv
[ -x .venv/bin/python ] && PY=.venv/bin/python
if [ -d "$WHL" ] && ! $PY -c 'import econ_env, gymnasium, pettingzoo, tianshou' 2>/dev/null; then
  site=/tmp/econ-env-site
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$site" "$WHL"/*.whl
  # sdists (no wheel for the image's Python): built there, without build isolation
  for sdist in "$WHL"/*.tar.gz; do
    [ -e "$sdist" ] || continue
    $PY -m pip install -q --no-index --no-deps --no-build-isolation --target "$site" \
      "$sdist" || echo "could not build $sdist" >&2
  done
  # reasoning-gym imports pycosat (a C extension, sdist only) for its logic puzzles, which no
  # check here samples: a stand-in when it could not be built there
  if ! PYTHONPATH=$site $PY -c 'import pycosat' 2>/dev/null; then
    printf 'def solve(*a, **k):\n    raise RuntimeError("pycosat stand-in")\n\nitersolve = solve\n' \
      >"$site/pycosat.py"
    echo "pycosat: stand-in module" >&2
  fi
  export PYTHONPATH=$site${PYTHONPATH:+:$PYTHONPATH}
fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} PYTHONUNBUFFERED=1
if [ "${1:-}" = study ]; then
  shift
  $PY benchmarks/sim_to_real.py --out "$OUT/sim_to_real" "$@" 2>&1 | tee "$OUT/sim_to_real.log"
  exit "${PIPESTATUS[0]}"
fi
$PY scripts/gpu_check.py --out "$OUT" "$@" 2>&1 | tee "$OUT/gpu_check.log"

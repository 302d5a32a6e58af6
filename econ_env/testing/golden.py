"""Golden-transcript regression checks.

A golden file records, for a fixed configuration and seed, every per-agent view of one episode
played with seeded random actions (observation, reward, termination flags and infos). A change
to the game, the prompts, the simulated backend or the task generator that alters any agent's
view fails ``check_golden``; if the change is intended, regenerate the files with

    python -m econ_env.testing --update        (or: make golden)

and review the diff. The files live in ``econ_env/testing/golden/``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from econ_env.registry import make
from econ_env.testing.checks import play

GOLDEN_DIR = Path(__file__).parent / "golden"

# name -> (registry env name, config, seed)
GOLDEN_CASES: dict[str, tuple[str, dict[str, Any], int]] = {
    "auction_default": ("auction_v0", {}, 7),
    "auction_vcg_discrete": (
        "auction_v0",
        {"n_agents": 4, "mechanism": "vcg", "top_k": 2, "action_type": "discrete", "budget": 1024},
        3,
    ),
    "auction_individual_beliefs": (
        "auction_v0",
        {"mechanism": "first_price", "reward_mode": "individual", "belief_dim": 3, "task": "gsm8k"},
        5,
    ),
    # the hashed embedder is exact across machines; MiniLM floats may differ in the last bits
    "debate_default": ("debate_v0", {"embedder": "hashed"}, 7),
    "debate_groups_discrete": (
        "debate_v0",
        {"n_agents": 4, "groups": 2, "action_type": "discrete", "embedder": "hashed"},
        3,
    ),
}


def record(case: str) -> list[dict]:
    """Play a golden case and return its views (infos with their text, ``info_text=True``, so
    a change to a prompt or a draft shows)."""
    env_name, config, seed = GOLDEN_CASES[case]
    return play(make(env_name, info_text=True, **config), seed)


def _diff(expected: Any, actual: Any, path: str = "") -> str | None:
    """The first difference between two JSON-like values, as a readable path."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k in sorted(set(expected) | set(actual)):
            if k not in expected or k not in actual:
                return f"{path}.{k}: present in only one"
            d = _diff(expected[k], actual[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path}: length {len(expected)} != {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            d = _diff(e, a, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(expected, float) and isinstance(actual, float):
        return (
            None
            if math.isclose(expected, actual, rel_tol=1e-6, abs_tol=1e-7)
            else (f"{path}: {expected!r} != {actual!r}")
        )
    return None if expected == actual else f"{path}: {expected!r} != {actual!r}"


def check_golden(case: str) -> None:
    """Replay a golden case and compare every view with the recorded file."""
    path = GOLDEN_DIR / f"{case}.json"
    expected = json.loads(path.read_text(encoding="utf-8"))
    actual = json.loads(json.dumps(record(case)))
    diff = _diff(expected, actual, case)
    if diff:
        raise AssertionError(
            f"golden transcript {path.name} changed at {diff}; if intended, run "
            "`python -m econ_env.testing --update` and review the diff"
        )


def update(cases: list[str] | None = None) -> list[Path]:
    """Rewrite the golden files."""
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for case in cases or list(GOLDEN_CASES):
        path = GOLDEN_DIR / f"{case}.json"
        path.write_text(json.dumps(record(case), indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the golden files")
    parser.add_argument("cases", nargs="*", help=f"cases (default: all of {list(GOLDEN_CASES)})")
    args = parser.parse_args(argv)
    if args.update:
        for p in update(args.cases or None):
            print(f"wrote {p}")
    else:
        for case in args.cases or GOLDEN_CASES:
            check_golden(case)
            print(f"{case}: ok")


if __name__ == "__main__":
    main()

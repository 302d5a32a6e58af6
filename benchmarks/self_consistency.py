"""Self-consistency at matched tokens against the trained DALA agents, in the text env.

The reference agents' table (``benchmarks/reference_agents.py``, results in
``docs/assets/reference_agents_*.json``) compares the learners with fixed policies that draft
once. Self-consistency spends tokens differently: every bidder stays silent and drafts k times
(``draft_samples=k``), and the team answers with the most common of the n·k sampled answers.
It bills nothing, so its team return is its accuracy, and it generates about k times silence's
tokens. This script plays it for k = 1 … K in the text env on the reference table's evaluation
seeds, and compares each learner with self-consistency at matched generated tokens: the largest
k whose generated tokens do not exceed the learner's ("at or below"), and the next k ("above").
A learner beats it on team return when the lower end of its 95% CI is above the upper end of
that k's. It also compares accuracy at equal generated tokens (the Pareto view): the learner's
accuracy against self-consistency's, interpolated linearly between the two k around the
learner's generated tokens.

    OMP_NUM_THREADS=1 python benchmarks/self_consistency.py                 # table + JSON
    OMP_NUM_THREADS=1 python benchmarks/self_consistency.py --regimes one_expert --episodes 100
    OMP_NUM_THREADS=1 python benchmarks/self_consistency.py --regimes tiered --max-k 4 \
        --episodes 2000 --reference docs/assets/reference_agents_tiered_discrete_2000.json

The learners' numbers are read from the reference table's JSON files (later files win for a
regime, and only when their config is the regime's current config), not retrained here.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from reference_agents import _jsonable, summarise, text_rows  # noqa: E402

from econ_env_baselines.self_consistency import interpolate, matched  # noqa: E402

ASSETS = ROOT / "docs" / "assets"
REFERENCE_FILES = (
    "reference_agents_1.json",
    "reference_agents_2.json",
    "reference_agents_asymmetric.json",
    "reference_agents_tiered_mappo150.json",
    "reference_agents_tiered_choose.json",
    "reference_agents_discrete.json",
    "reference_agents_tiered_discrete.json",
    "reference_agents_default_discrete.json",
    "reference_agents_tight_discrete.json",
    "reference_agents_asymmetric_discrete.json",
)
"""The reference table's results, oldest first (a later file's regime replaces an earlier)."""
LEARNERS = ("alpha", "alpha_choose", "mappo", "mappo_discrete")


def learner_results(regimes: list[str], files: list[Path]) -> dict[str, dict[str, Any]]:
    """Per regime, the learners' summaries of the newest file whose config is the regime's."""
    from econ_env.regimes import regime_config

    out: dict[str, dict[str, Any]] = {}
    for path in files:
        data = json.loads(path.read_text())
        for regime in regimes:
            entry = data.get(regime)
            if entry is None or entry["config"] != _jsonable(regime_config("auction_v0", regime)):
                continue
            found = {k: v for k, v in entry["policies"].items() if k in LEARNERS}
            if found:
                out[regime] = {**out.get(regime, {}), **found, "source": path.name}
    return out


def compare(regime: str, sc: dict[int, dict[str, Any]], learners: dict[str, Any]) -> list[dict]:
    """One row per learner: its return and CI against self-consistency at matched tokens."""
    rows = []
    for name in LEARNERS:
        s = learners.get(name)
        if s is None:
            continue
        at, above = matched(sc, s["generated_tokens"])
        row = {
            "regime": regime,
            "learner": name,
            "return": s["team_return"],
            "ci": s["ci"],
            "generated_tokens": s["generated_tokens"],
            "k_at": at,
            "sc_at": sc[at]["team_return"],
            "sc_at_ci": sc[at]["ci"],
            "beats_at": bool(s["ci"][0] > sc[at]["ci"][1]),
        }
        if above is not None:
            row.update(
                k_above=above,
                sc_above=sc[above]["team_return"],
                sc_above_ci=sc[above]["ci"],
                beats_above=bool(s["ci"][0] > sc[above]["ci"][1]),
            )
        acc = s["accuracy"]
        half = 1.96 * math.sqrt(acc * (1.0 - acc) / s["episodes"])
        frontier = interpolate(sc, s["generated_tokens"])
        row.update(
            accuracy=acc,
            accuracy_ci=[acc - half, acc + half],
            sc_accuracy_at_tokens=frontier,
            above_frontier=bool(frontier is not None and acc > frontier),
        )
        rows.append(row)
    return rows


def run(args: argparse.Namespace) -> dict[str, Any]:
    from econ_env import make_policy
    from econ_env.auction_v0 import env_spec
    from econ_env.regimes import regime_config

    regimes = args.regimes.split(",")
    files = args.reference or [ASSETS / f for f in REFERENCE_FILES]
    learners = learner_results(regimes, [Path(f) for f in files])
    out: dict[str, Any] = {"episodes": args.episodes, "eval_seed": args.eval_seed, "regimes": {}}
    for regime in regimes:
        t0 = time.perf_counter()
        config = regime_config("auction_v0", regime)
        sc: dict[int, dict[str, Any]] = {}
        for k in range(1, args.max_k + 1):
            cfg = {**config, "draft_samples": k}
            act = make_policy("silent", env_spec(**cfg), args.eval_seed).act
            sc[k] = summarise([text_rows(cfg, act, args.episodes, args.eval_seed)])
        rows = compare(regime, sc, learners.get(regime, {}))
        out["regimes"][regime] = {
            "self_consistency": {str(k): v for k, v in sc.items()},
            "learners_from": learners.get(regime, {}).get("source"),
            "comparison": rows,
            "seconds": time.perf_counter() - t0,
        }
        print(f"\n{regime} ({time.perf_counter() - t0:.0f} s)")
        for k, s in sc.items():
            lo, hi = s["ci"]
            print(f"  SC k={k}: return {s['team_return']:.3f} [{lo:.3f}, {hi:.3f}]  "
                  f"generated {s['generated_tokens']:.0f}")  # fmt: skip
        for r in rows:
            line = (
                f"  {r['learner']:5s} {r['return']:.3f} [{r['ci'][0]:.3f}, {r['ci'][1]:.3f}] "
                f"at {r['generated_tokens']:.0f} generated: SC k={r['k_at']} {r['sc_at']:.3f} "
                f"({'beats' if r['beats_at'] else 'does not beat'})"
            )
            if "k_above" in r:
                line += (
                    f"; SC k={r['k_above']} {r['sc_above']:.3f} "
                    f"({'beats' if r['beats_above'] else 'does not beat'})"
                )
            print(line)
            if r["sc_accuracy_at_tokens"] is not None:
                lo, hi = r["accuracy_ci"]
                print(
                    f"        accuracy {r['accuracy']:.3f} [{lo:.3f}, {hi:.3f}] vs SC at the same "
                    f"tokens {r['sc_accuracy_at_tokens']:.3f} ("
                    f"{'above' if r['above_frontier'] else 'on or below'} SC's frontier)"
                )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--regimes", default="one_expert,tight_budget,asymmetric,tiered,default")
    p.add_argument("--max-k", type=int, default=5, help="largest number of samples per bidder")
    p.add_argument("--episodes", type=int, default=500, help="text-env episodes per k")
    p.add_argument("--eval-seed", type=int, default=100_000, help="the reference table's seeds")
    p.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    p.add_argument(
        "--reference",
        type=Path,
        nargs="+",
        default=None,
        help="reference_agents.py JSON files to read the learners from, oldest first "
        "(default: the shipped table, REFERENCE_FILES)",
    )
    args = p.parse_args(argv)
    missing = [str(f) for f in args.reference or () if not f.is_file()]
    if missing:
        p.error(f"--reference: no such file: {', '.join(missing)}")
    out = run(args)
    if args.out is not None:
        args.out.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

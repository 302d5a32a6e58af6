"""The ECON learner against every fixed belief on a named debate_v0 regime, in the text env.

For each training seed the ECON learner (``econ_env_agents.econ.train_econ`` with
``ECON_REGIME_SETTINGS``) trains on the
text env ``debate_v0.parallel_env(**regime_config("debate_v0", REGIME))`` and is evaluated
greedily on its own fixed seeds ``eval_seed + 1000 * seed + j`` (``j < eval_episodes``). Every
fixed belief plays the union of those seeds:

- the policies of ``baselines/debate.py`` (neutral, conservative, exploratory, truthful,
  round_robin, random);
- the ``--grid-top`` best constant beliefs of a grid (temperature × repetition penalty, every
  executor alike), chosen on the batched twin (:mod:`econ_env.vector`, 4096 episodes each;
  ``econ_env_baselines.debate_constants.best_constants``).

Printed: mean team return (sum over executors of their episode rewards) with its 95% CI
(normal, pooled over every evaluation episode), per-seed means for the learner, accuracy and
billed tokens. The learner "wins" when its CI's lower end is above the upper end of the best
fixed belief's CI.

    OMP_NUM_THREADS=1 python benchmarks/econ_reference.py --regime expert_herding --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch


def ci(x: np.ndarray) -> tuple[float, float]:
    """Mean and 95% CI half-width (normal)."""
    return float(x.mean()), 1.96 * float(x.std(ddof=1)) / math.sqrt(len(x))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, evaluate, print the table; returns it (also written to ``--json``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regime", default="expert_herding")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--episodes", type=int, default=1200, help="training episodes per seed")
    ap.add_argument("--eps-decay", type=int, default=500)
    ap.add_argument("--eval-episodes", type=int, default=1200, help="per seed")
    ap.add_argument("--eval-seed", type=int, default=10_000)
    ap.add_argument("--grid-top", type=int, default=3)
    ap.add_argument(
        "--baseline-episodes",
        type=int,
        default=500,
        help="per seed, for baselines/debate.py's policies (far below the best: fewer episodes)",
    )
    ap.add_argument("--which", choices=("all", "baselines", "grid"), default="all")
    ap.add_argument("--json", default="")
    ap.add_argument(
        "--out", default="", help="with --train-only: write each seed's eval rows here (.npy)"
    )
    ap.add_argument("--train-only", action="store_true", help="train + evaluate the seeds only")
    ap.add_argument(
        "--fixed-only", action="store_true", help="evaluate the fixed beliefs into --out only"
    )
    ap.add_argument(
        "--rows", nargs="*", default=[], help="skip training: read seeds' eval rows (.npy)"
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    from econ_env import debate_v0
    from econ_env.regimes import regime_config
    from econ_env_agents.econ import (
        ECON_REGIME_SETTINGS,
        EconConfig,
        evaluate_episodes,
        train_econ,
    )
    from econ_env_baselines.debate import DEBATE_POLICIES
    from econ_env_baselines.debate_constants import ConstantBelief, best_constants

    config = regime_config("debate_v0", args.regime)

    def make() -> Any:
        return debate_v0.parallel_env(**config)

    seeds = {
        s: range(args.eval_seed + 1000 * s, args.eval_seed + 1000 * s + args.eval_episodes)
        for s in args.seeds
    }
    table: dict[str, Any] = {}
    learner_rows, per_seed = [], {}
    for s in [] if args.fixed_only else args.seeds:
        t0 = time.time()
        if args.rows:  # rows of earlier --train-only runs, in the order of --seeds
            rows = np.load(args.rows[args.seeds.index(s)])
        else:
            settings = {**ECON_REGIME_SETTINGS, "eps_decay_episodes": args.eps_decay}
            cfg = EconConfig(seed=s, device="cpu", **settings)
            agent, _ = train_econ(make, cfg, episodes=args.episodes)
            if args.out:
                agent.save(Path(args.out) / f"econ_{args.regime}_seed{s}.safetensors")
            rows = evaluate_episodes(agent, make, seeds[s])
            if args.out:
                np.save(Path(args.out) / f"econ_{args.regime}_seed{s}.npy", rows)
        learner_rows.append(rows)
        per_seed[s] = float(rows[:, 0].mean())
        m, h = ci(rows[:, 0])
        print(f"econ seed {s}: {m:.3f} ± {h:.3f} ({time.time() - t0:.0f}s)", flush=True)
    if args.train_only:
        return {"per_seed": per_seed}
    all_seeds = [x for s in args.seeds for x in seeds[s]]
    spec = debate_v0.env_spec(**config)
    few = [x for s in args.seeds for x in seeds[s][: args.baseline_episodes]]
    policies: list[tuple[Any, list[int]]] = []
    if args.which in ("all", "baselines"):
        policies += [(cls(spec, seed=0), few) for cls in DEBATE_POLICIES.values()]
    if args.which in ("all", "grid"):
        policies += [
            (ConstantBelief(spec, temperature=t, repetition=r), all_seeds)
            for t, r, _ in best_constants(config, k=args.grid_top)
        ]
    results: dict[str, np.ndarray] = {}
    for pol, on in policies:  # cached in --out (a run with --fixed-only fills the cache)
        cache = Path(args.out) / f"fixed_{args.regime}_{pol.name}_{len(on)}.npy"
        if args.out and cache.exists():
            results[pol.name] = np.load(cache)
        else:
            results[pol.name] = evaluate_episodes(pol, make, on)
            if args.out:
                np.save(cache, results[pol.name])
        print(f"{pol.name}: {ci(results[pol.name][:, 0])} on {len(on)} episodes", flush=True)
    if args.fixed_only:
        return {}
    results["econ"] = np.concatenate(learner_rows)
    print(f"\nregime {args.regime}")
    print(f"{'policy':24s} {'team return':>17s} {'episodes':>9s} {'accuracy':>9s} {'billed':>8s}")
    for name, rows in sorted(results.items(), key=lambda kv: -kv[1][:, 0].mean()):
        m, h = ci(rows[:, 0])
        table[name] = {
            "mean": m,
            "ci95": h,
            "accuracy": float(rows[:, 1].mean()),
            "billed": float(rows[:, 2].mean()),
            "episodes": len(rows),
        }
        print(
            f"{name:24s} {m:9.3f} ± {h:.3f} {len(rows):9d} {rows[:, 1].mean():9.3f} "
            f"{rows[:, 2].mean():8.0f}"
        )
    print("econ per-seed means:", {s: round(v, 3) for s, v in per_seed.items()})
    best = max((k for k in table if k != "econ"), key=lambda k: table[k]["mean"])
    lo = table["econ"]["mean"] - table["econ"]["ci95"]
    hi = table[best]["mean"] + table[best]["ci95"]
    print(f"best fixed: {best}; econ CI above it: {lo > hi} ({lo:.3f} vs {hi:.3f})")
    out = {"table": table, "per_seed": per_seed, "best_fixed": best, "args": vars(args)}
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()

"""How much the simulated value of confidence-based bidding depends on the drafts' rho.

Replays the sim-to-real study's vote / truthful / always auction policies (docs/fidelity.md) on
the simulator with the shipped preset ``qwen2.5-coder-0.5b-arith``, changing only the draft entry
of ``SimParams.role_confidence_correlation``, and prints each policy's accuracy over ``--seeds``
simulator seeds of the study's 60 items (about a minute)::

    OMP_NUM_THREADS=1 python benchmarks/rho_sensitivity.py [--rhos 0.204,0.27,0.4,0.6]
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ("vote (silent)", "truthful", "always (MAD)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rhos", default="0.204,0.27,0.4,0.6", help="draft rhos, comma-separated")
    p.add_argument("--seeds", type=int, default=10, help="simulator seeds per rho")
    args = p.parse_args(argv)

    from econ_env.fidelity import STUDY_POLICIES, StudyConfig, load_episodes, run_study
    from econ_env.llm.simulated import SimParams, SimulatedBackend

    _, meta = load_episodes(ROOT / "docs" / "assets" / "fidelity" / "real_episodes.jsonl")
    config = StudyConfig(n_items=meta["n_items"])
    base = SimParams.from_preset("qwen2.5-coder-0.5b-arith")
    policies = [pol for pol in STUDY_POLICIES if pol.label in POLICIES]
    print(f"{'draft rho':>9} {'AUC':>6}  " + "  ".join(f"{lab:>14}" for lab in POLICIES))
    for rho in (float(r) for r in args.rhos.split(",")):
        roles = {**dict(base.role_confidence_correlation), "draft": rho}
        params = replace(base, role_confidence_correlation=roles)
        correct: dict[str, list[bool]] = {lab: [] for lab in POLICIES}
        for seed in range(args.seeds):
            episodes, _ = run_study(
                SimulatedBackend(params, seed=seed), config=config, policies=policies, parallel=1
            )
            for e in episodes:
                correct[e.label].append(e.correct)
        auc = 0.5 * (
            1.0 + math.erf(rho / math.sqrt(1.0 - rho * rho))
        )  # Phi(sqrt2 rho/sqrt(1-rho2))
        accs = "  ".join(f"{sum(v) / len(v):>14.3f}" for v in correct.values())
        print(f"{rho:>9.3f} {auc:>6.3f}  {accs}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

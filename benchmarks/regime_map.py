"""The regime map of auction_v0: which fixed policy wins where, and how far a state-dependent rule
beats it.

For each regime (a panel: the team of bidders, information asymmetry, tiered messages; see
:mod:`econ_env.regimes`) and each cell of a grid over the cost weight λ and the budget, every
fixed baseline (silent, truthful, always, round_robin, random) and a small family of
hand-written state-dependent rules play ``--episodes`` episodes of the batched twin
(:mod:`econ_env.vector`, the same seeds for every policy). The rules
(:mod:`econ_env_baselines.vector`) are ``disagree`` (bid the own confidence while the drafts
disagree), ``disagree@θ`` for θ ∈ {0.5, 0.7} and ``seat=k`` (only bidder k bids, 1, while the
drafts disagree); with message tiers also the fixed bidders and ``seat=k`` sending each shorter
tier (``truthful_summary``, ``seat=2/keywords``, ...; coloured as the policy they vary). Each
cell is coloured by the best fixed policy and labelled with the margin
``best rule − best fixed`` in team return (its standard error is ≈ 0.01 at 4,096 episodes).

    OMP_NUM_THREADS=1 python benchmarks/regime_map.py [--episodes 4096]
        [--out docs/assets/regime_map.png] [--json docs/assets/regime_map.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch

PANELS: dict[str, dict[str, Any]] = {
    "equal skills (v0 default)": {},
    "skill spread": {"team": "spread"},
    "one expert": {"team": "one_expert"},
    "split facts": {"task": "split_facts"},
    "one expert + tiers": {"team": "one_expert", "tiers": ("full", "summary", "keywords")},
}
LAMBDAS = (0.25, 0.5, 1.0, 2.0)
BUDGETS = (512, 1024, 2048, 4096)
FIXED = ("silent", "truthful", "always", "round_robin", "random")


def seat_rule(bidders: Any, k: int) -> Any:
    """Only bidder ``k`` bids (1) while the drafts disagree; everyone else stays silent."""
    one = 1.0 / bidders.n_agents + 1e-6

    def act(obs: torch.Tensor, mask: Any) -> torch.Tensor:
        me = obs[..., bidders.layout.slice("agent_id")].argmax(-1)
        ok = (bidders.field(obs, "affordable") > 0.5) & (me == k)
        ok &= bidders.field(obs, "distinct_answers") > one
        return bidders.from_bid(ok.float(), mask)

    return act


def cell(config: dict[str, Any], episodes: int, seed: int) -> dict[str, Any]:
    """Every fixed policy and every rule on one config: their metrics, the best of each."""
    import econ_env.vector as V
    from econ_env_baselines.vector import BatchedBidders, evaluate

    env = V.auction(num_envs=episodes, seed=seed, item_pool=4096, **config)
    bidders = BatchedBidders(env, seed)
    fixed = {name: evaluate(env, bidders.fixed(name), seed) for name in FIXED}
    rules = {
        name: evaluate(env, bidders.rule(name), seed)
        for name in ("disagree", "disagree@0.5", "disagree@0.7")
    }
    for k in range(env.n_agents):
        rules[f"seat={k}"] = evaluate(env, seat_rule(bidders, k), seed)
    tiers = config.get("tiers", ("full",))
    for t, tier in enumerate(tiers[1:], start=1):  # the same policies sending a shorter tier
        on_tier = BatchedBidders(env, seed, tier=t)
        for name in ("truthful", "always", "round_robin"):
            fixed[f"{name}_{tier}"] = evaluate(env, on_tier.fixed(name), seed)
        for k in range(env.n_agents):
            rules[f"seat={k}/{tier}"] = evaluate(env, seat_rule(on_tier, k), seed)
    best_fixed = max(fixed, key=lambda n: fixed[n]["team_return"])
    best_rule = max(rules, key=lambda n: rules[n]["team_return"])
    return {
        "fixed": fixed,
        "rules": rules,
        "best_fixed": best_fixed,
        "best_rule": best_rule,
        "margin": rules[best_rule]["team_return"] - fixed[best_fixed]["team_return"],
    }


def _base(name: str) -> str:
    """The fixed policy a tier variant sends (``truthful_summary`` → ``truthful``)."""
    for tier in ("_summary", "_keywords"):
        name = name.removesuffix(tier)
    return name


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    colours = ["#9e9e9e", "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"]
    cmap = ListedColormap(colours)
    panels = list(result["panels"])
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.9), sharey=True)
    for ax, panel in zip(axes, panels, strict=True):
        cells = result["panels"][panel]
        grid = [
            [FIXED.index(_base(cells[f"{lam}/{b}"]["best_fixed"])) for lam in LAMBDAS]
            for b in BUDGETS
        ]
        ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(FIXED) - 0.5, origin="lower")
        for i, b in enumerate(BUDGETS):
            for j, lam in enumerate(LAMBDAS):
                m = cells[f"{lam}/{b}"]["margin"]
                ax.text(
                    j,
                    i,
                    f"{m:+.2f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if m > 0.02 else "black",
                    weight="bold" if m > 0.02 else "normal",
                )
        ax.set_xticks(range(len(LAMBDAS)), [str(v) for v in LAMBDAS])
        ax.set_yticks(range(len(BUDGETS)), [str(v) for v in BUDGETS])
        ax.set_xlabel("λ (cost weight)")
        ax.set_title(panel, fontsize=10)
    axes[0].set_ylabel("budget (tokens)")
    handles = [Patch(color=c, label=n) for c, n in zip(colours, FIXED, strict=True)]
    fig.legend(handles=handles, loc="lower center", ncol=len(FIXED), title="best fixed policy")
    fig.suptitle(
        "auction_v0: best fixed policy per cell; label = best state-dependent rule − "
        "best fixed (team return)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.22, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=4096)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--panels", default=",".join(PANELS), help="comma-separated panel names")
    p.add_argument("--out", default="docs/assets/regime_map.png")
    p.add_argument("--json", default="docs/assets/regime_map.json")
    p.add_argument("--merge", action="store_true", help="update --json's other panels in place")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    start = time.perf_counter()
    result: dict[str, Any] = {"episodes": args.episodes, "seed": args.seed, "panels": {}}
    if args.merge:  # recompute only --panels, keep the others of an earlier run
        result = json.loads(Path(args.json).read_text())
    for panel in args.panels.split(","):
        cells = {}
        for b in BUDGETS:
            for lam in LAMBDAS:
                c = cell(
                    {**PANELS[panel], "cost_weight": lam, "budget": b}, args.episodes, args.seed
                )
                cells[f"{lam}/{b}"] = c
                print(
                    f"{panel:<28} λ={lam:<5} budget={b:<5} best fixed {c['best_fixed']:<11} "
                    f"{c['fixed'][c['best_fixed']]['team_return']:.3f}  best rule "
                    f"{c['best_rule']:<12} {c['rules'][c['best_rule']]['team_return']:.3f}  "
                    f"margin {c['margin']:+.3f}",
                    flush=True,
                )
        result["panels"][panel] = cells
    result["seconds"] = (
        time.perf_counter() - start + (result.get("seconds", 0.0) if args.merge else 0)
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    if args.out:
        plot(result, Path(args.out))
        print(f"wrote {args.out} ({result['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

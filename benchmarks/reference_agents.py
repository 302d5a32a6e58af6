"""Reference agents against every fixed baseline on the named regimes, evaluated in the text env.

For each regime of :mod:`econ_env.regimes` (auction_v0) and each training seed, two DALA
learners train on the batched twin (:mod:`econ_env.vector`):

- ``alpha``: α-REINFORCE (``bid = α_i·û/L̂``, :mod:`econ_env_agents.dala.alpha_vec`);
- ``alpha_choose`` (regimes with message tiers only): α-REINFORCE that also learns which tier
  to offer (``AlphaConfig(tiers="choose")``, ``--alpha-choose-updates`` updates);
- ``mappo``: the vectorised MAPPO with a centralised critic of ``examples/train_dala_vec.py``
  (continuous bids; ``--mappo-action discrete`` trains it on the discrete bid levels instead,
  reported as ``mappo_discrete``);
- ``tianshou_mappo`` (with ``--tianshou-updates N``): the Tianshou MAPPO of
  ``econ_env_agents.dala.mappo`` trained on the **text** env with discrete bids, the settings of
  ``examples/train_dala_tianshou.py`` (256 episodes per update from 16 envs, lr 1e-3);

then the trained policies and every fixed baseline (silent = majority vote of the drafts,
truthful, always = everyone speaks, round_robin, random) play the **text** env
(``econ_env.auction_v0.parallel_env``) on the same fixed seeds. Printed per regime and policy:
mean team return with its 95% CI (normal, over all evaluation episodes of all seeds), the
per-seed means, accuracy, billed and generated tokens and the speaking rate. A learner "wins"
when the lower end of its CI is above the upper end of the best fixed baseline's and every seed
beats that baseline's mean.

    OMP_NUM_THREADS=1 python benchmarks/reference_agents.py            # the table
    OMP_NUM_THREADS=1 python benchmarks/reference_agents.py --sweep lambda   # Pareto plot
    OMP_NUM_THREADS=1 python benchmarks/reference_agents.py --sweep budget   # strategic silence

``--sweep lambda`` trains α-REINFORCE (and MAPPO with ``--mappo-updates N``) at λ ∈ {0.1, 0.25,
0.5, 1, 2} on ``one_expert`` (vec evaluation) and plots accuracy against generated tokens next to
the baselines' Pareto frontier;
``--sweep budget`` trains them at budgets 384 … 4096 and plots how often they speak.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from time_to_baseline import load_example  # noqa: E402

FIXED = ("silent", "truthful", "always", "round_robin", "random")
MAPPO_UPDATES = {"asymmetric": 150}
"""MAPPO updates per regime when ``--mappo-updates`` is not given (default 60): passing facts
around takes three speakers in turn, which 60 updates do not find for every seed."""
MAPPO_ACTIONS = ("continuous", "discrete")
"""MAPPO's bids (the example's ``--action-type``): a clipped Gaussian or a masked categorical."""
TIERED = ("truthful", "always", "round_robin")
"""Fixed bidders that also exist for a shorter tier (``truthful_summary``, ...)."""


def text_rows(config: dict[str, Any], act: Any, episodes: int, seed: int) -> np.ndarray:
    """Per-episode ``[team return, correct, billed, generated, speak rate, rounds]`` of the text
    env ``auction_v0.parallel_env(**config)`` played by ``act(obs, agent)`` on seeds
    ``seed .. seed + episodes - 1``."""
    from econ_env import auction_v0

    env = auction_v0.parallel_env(**config)
    rows = []
    for ep in range(episodes):
        obs, infos = env.reset(seed=seed + ep)
        ret, spoke, steps = 0.0, 0.0, 0
        while env.agents:
            obs, rewards, _, _, infos = env.step({a: act(obs[a], a) for a in env.agents})
            ret += sum(rewards.values()) / len(env.possible_agents)
            spoke += sum(float(i["spoke"]) for i in infos.values())
            steps += 1
        last = next(iter(infos.values()))
        rate = spoke / max(steps * len(env.possible_agents), 1)
        rows.append(
            (
                ret,
                float(last["correct"]),
                last["billed_tokens"],
                last["generated_tokens"],
                rate,
                last["round"],
            )
        )
    env.close()
    return np.asarray(rows, dtype=np.float64)


def summarise(runs: list[np.ndarray]) -> dict[str, Any]:
    """Mean and 95% CI of the team return over all episodes of ``runs`` (one array per seed)."""
    pooled = np.concatenate(runs)
    mean = float(pooled[:, 0].mean())
    half = 1.96 * float(pooled[:, 0].std(ddof=1)) / math.sqrt(len(pooled))
    return {
        "team_return": mean,
        "ci": [mean - half, mean + half],
        "seed_means": [float(r[:, 0].mean()) for r in runs],
        "accuracy": float(pooled[:, 1].mean()),
        "billed_tokens": float(pooled[:, 2].mean()),
        "generated_tokens": float(pooled[:, 3].mean()),
        "speak_rate": float(pooled[:, 4].mean()),
        "episodes": len(pooled),
    }


def has_tiers(config: dict[str, Any]) -> bool:
    """Whether an auction config has several message tiers (``tiers``)."""
    return len(config.get("tiers", ("full",))) > 1


def train_alpha(
    config: dict[str, Any], seed: int, updates: int, num_envs: int, tiers: str = "first"
) -> Any:
    """α-REINFORCE trained on the batched env (``tiers``: ``AlphaConfig.tiers``); returns the
    :class:`AlphaAgent`."""
    import econ_env.vector as V
    from econ_env_agents.dala.alpha import AlphaConfig
    from econ_env_agents.dala.alpha_vec import train_alpha_vec

    env = V.auction(num_envs=num_envs, seed=seed, item_pool=4096, **config)
    cfg = AlphaConfig(lr=0.1, sigma=0.5, device="cpu", seed=seed, tiers=tiers)
    agent, _ = train_alpha_vec(env, config=cfg, updates=updates, seed=1000 * seed)
    return agent


def train_mappo_actor(
    regime: str,
    config: dict[str, Any],
    seed: int,
    updates: int,
    action: str = "continuous",
    ent_coef: float = 0.0,
) -> Any:
    """The vectorised MAPPO of examples/train_dala_vec.py trained on ``config`` (``action``:
    ``continuous`` or ``discrete`` bids, the example's ``--action-type``; ``ent_coef``: its
    entropy bonus); its actor. The run's files go to a temporary directory, removed after."""
    ex = load_example()
    with tempfile.TemporaryDirectory(prefix="reference_agents_") as run_dir:
        args = ex.Args(
            preset="default",
            env_config=" ".join(shlex.quote(f"{k}={v!r}") for k, v in config.items()),
            action_type=action,
            ent_coef=ent_coef,
            updates=updates,
            seed=seed,
            text_episodes=0,
            eval_every=updates,
            eval_envs=1024,
            run_dir=run_dir,
            run_name=f"{regime}_{seed}",
            progress=False,
        )
        summary = ex.train(args)
        return ex.load_actor(summary["weights"]).eval()


def table(args: argparse.Namespace) -> dict[str, Any]:
    from econ_env import make_policy
    from econ_env.auction_v0 import env_spec
    from econ_env.regimes import regime_config

    out: dict[str, Any] = {}
    for regime in args.regimes.split(","):
        config = regime_config("auction_v0", regime)
        spec = env_spec(**config)
        t0 = time.perf_counter()
        res: dict[str, Any] = {}
        fixed = FIXED
        tiered = has_tiers(config)
        if tiered:  # and the bidders that send a shorter tier
            fixed += tuple(f"{b}_{t}" for t in config["tiers"][1:] for b in TIERED)
        for name in fixed:
            act = make_policy(name, spec, args.eval_seed).act
            res[name] = summarise([text_rows(config, act, args.text_episodes, args.eval_seed)])
        mappo = mappo_name(args.mappo_action)
        learners: dict[str, list[np.ndarray]] = {
            "alpha": [],
            "alpha_choose": [],
            mappo: [],
            "tianshou_mappo": [],
        }
        for seed in args.seeds:
            if args.alpha_updates:
                agent = train_alpha(config, seed, args.alpha_updates, args.num_envs)
                learners["alpha"].append(
                    text_rows(config, agent.act, args.text_episodes, args.eval_seed)
                )
            if tiered and args.alpha_choose_updates:
                n = args.alpha_choose_updates
                agent = train_alpha(config, seed, n, args.num_envs, "choose")
                learners["alpha_choose"].append(
                    text_rows(config, agent.act, args.text_episodes, args.eval_seed)
                )
            updates = (
                MAPPO_UPDATES.get(regime, 60)
                if args.mappo_updates is None
                else (args.mappo_updates)
            )
            if updates:
                actor = train_mappo_actor(
                    regime, config, seed, updates, args.mappo_action, args.mappo_ent_coef
                )
                act = load_example().text_actor(actor, torch.device("cpu"))
                played = {**config, "action_type": args.mappo_action}  # as trained
                learners[mappo].append(text_rows(played, act, args.text_episodes, args.eval_seed))
            if args.tianshou_updates:
                played = {**config, "action_type": "discrete"}
                agent = train_tianshou_mappo(played, seed, args.tianshou_updates)
                learners["tianshou_mappo"].append(
                    text_rows(played, agent.act, args.text_episodes, args.eval_seed)
                )
        best = max(fixed, key=lambda b: res[b]["team_return"])
        for name, runs in learners.items():
            if runs:
                s = summarise(runs)
                s["wins"] = bool(
                    s["ci"][0] > res[best]["ci"][1]
                    and min(s["seed_means"]) > res[best]["team_return"]
                )
                res[name] = s
        out[regime] = {
            "config": _jsonable(config),
            "best_fixed": best,
            "policies": res,
            "seconds": time.perf_counter() - t0,
        }
        print_regime(regime, out[regime], args)
    return out


def train_tianshou_mappo(config: dict[str, Any], seed: int, updates: int) -> Any:
    """The Tianshou MAPPO (``econ_env_agents.dala.mappo``) trained on the text env ``config``
    (discrete bids) with the settings of ``examples/train_dala_tianshou.py``."""
    from econ_env import auction_v0
    from econ_env_agents.dala.mappo import TEXT_ENV_SETTINGS, MAPPOConfig, train_mappo

    cfg = MAPPOConfig(**{**TEXT_ENV_SETTINGS, "updates": updates}, seed=seed, device="cpu")
    agent, _ = train_mappo(lambda: auction_v0.env(**config), cfg)
    return agent


def mappo_name(action: str) -> str:
    """The table's name of the MAPPO learner with ``action`` bids (``mappo`` for the original
    continuous bids, ``mappo_discrete``)."""
    if action not in MAPPO_ACTIONS:
        raise ValueError(f"--mappo-action must be continuous or discrete, not {action!r}")
    return "mappo" if action == "continuous" else "mappo_discrete"


def print_regime(regime: str, r: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"\n{regime}: {json.dumps(r['config'])}; text env, {args.text_episodes} fixed seeds "
        f"from {args.eval_seed}; learners over seeds {args.seeds} ({r['seconds']:.0f} s)"
    )
    print(
        f"{'policy':<14} {'return':>7} {'95% CI':>17} {'accuracy':>8} {'billed':>7} "
        f"{'generated':>9} {'speak':>6}  seeds / verdict"
    )
    for name, s in r["policies"].items():
        extra = "  <- best fixed" if name == r["best_fixed"] else ""
        if "wins" in s:
            seeds = " ".join(f"{m:.3f}" for m in s["seed_means"])
            extra = f"  {seeds}  {'WINS' if s['wins'] else 'does not win'}"
        lo, hi = s["ci"]
        print(
            f"{name:<14} {s['team_return']:7.3f} [{lo:6.3f}, {hi:6.3f}] {s['accuracy']:8.3f} "
            f"{s['billed_tokens']:7.0f} {s['generated_tokens']:9.0f} {s['speak_rate']:6.3f}"
            f"{extra}"
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def sweep(args: argparse.Namespace) -> dict[str, Any]:
    """Train α-REINFORCE at each λ or budget of the sweep on ``--sweep-regime``; evaluate (vec)
    the learner and the fixed baselines; plot (Pareto or speaking rate)."""
    import econ_env.vector as V
    from econ_env.cli_args import parse_key_values
    from econ_env.regimes import regime_config
    from econ_env_agents.dala.alpha_vec import greedy_policy
    from econ_env_baselines.vector import BatchedBidders, evaluate

    values = (
        [0.1, 0.25, 0.5, 1.0, 2.0] if args.sweep == "lambda" else [384, 512, 768, 1024, 2048, 4096]
    )
    key = "cost_weight" if args.sweep == "lambda" else "budget"
    fixed = parse_key_values(shlex.split(args.sweep_config), "--sweep-config")
    if key in fixed:
        raise ValueError(f"--sweep-config must not set {key!r}: the sweep varies it")
    rows = []
    name = mappo_name(args.mappo_action)
    for value in values:
        config = regime_config("auction_v0", args.sweep_regime, **{**fixed, key: value})
        # one evaluation env per config, reset with the same seed by every evaluate()
        env = V.auction(num_envs=args.eval_envs, seed=args.eval_seed, item_pool=4096, **config)
        played = {**config, "action_type": args.mappo_action}  # MAPPO's bids, as trained
        menv = V.auction(num_envs=args.eval_envs, seed=args.eval_seed, item_pool=4096, **played)
        for seed in args.seeds:
            if args.alpha_updates:
                agent = train_alpha(config, seed, args.alpha_updates, args.num_envs)
                act = greedy_policy(agent, env)
                rows.append({key: value, "policy": "alpha", "seed": seed, **evaluate(env, act, 7)})
            if has_tiers(config) and args.alpha_choose_updates:
                n = args.alpha_choose_updates
                agent = train_alpha(config, seed, n, args.num_envs, "choose")
                m = evaluate(env, greedy_policy(agent, env), 7)
                rows.append({key: value, "policy": "alpha_choose", "seed": seed, **m})
            if args.mappo_updates:  # None or 0: α-REINFORCE only
                actor = train_mappo_actor(
                    f"{key}{value}",
                    config,
                    seed,
                    args.mappo_updates,
                    args.mappo_action,
                    args.mappo_ent_coef,
                )
                greedy = lambda obs, mask, actor=actor: actor.greedy(obs, mask)  # noqa: E731
                m = evaluate(menv, greedy, 7)
                rows.append({key: value, "policy": name, "seed": seed, **m})
        bidders = BatchedBidders(env, 0)
        for fixed_name in FIXED:
            m = evaluate(env, bidders.fixed(fixed_name), 7)
            rows.append({key: value, "policy": fixed_name, "seed": 0, **m})
        print(
            f"{key}={value}: "
            + ", ".join(
                f"{r['policy']} {r['team_return']:.3f}/{r['speak_rate']:.2f}"
                for r in rows
                if r[key] == value
            )
        )
    result = {"sweep": key, "regime": args.sweep_regime, "config": fixed, "rows": rows}
    if args.plot:
        plot_sweep(result, Path(args.plot))
        print(f"wrote {args.plot}")
    return result


def plot_sweep(result: dict[str, Any], path: Path) -> None:
    """λ sweep: accuracy vs generated tokens with the baselines' Pareto frontier; budget sweep:
    the learners' speaking rate against the budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, key = result["rows"], result["sweep"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    learners = sorted({r["policy"] for r in rows} - set(FIXED))
    if key == "cost_weight":
        base = [r for r in rows if r["policy"] in FIXED]
        pts = sorted({(r["generated_tokens"], r["accuracy"]) for r in base})
        frontier, best = [], -1.0
        for x, y in pts:
            if y > best:
                frontier.append((x, y))
                best = y
        for name in FIXED:
            b = [r for r in base if r["policy"] == name]
            ax.scatter(
                [r["generated_tokens"] for r in b],
                [r["accuracy"] for r in b],
                marker="s",
                alpha=0.5,
                label=name,
            )
        ax.plot(*zip(*frontier, strict=True), "k--", lw=1, label="baselines' Pareto frontier")
        for name, marker in zip(learners, "o^sD", strict=False):
            lr = [r for r in rows if r["policy"] == name]
            xs = sorted({r[key] for r in lr})
            pts = [
                (
                    np.mean([r["generated_tokens"] for r in lr if r[key] == x]),
                    np.mean([r["accuracy"] for r in lr if r[key] == x]),
                )
                for x in xs
            ]
            ax.plot(
                *zip(*pts, strict=True),
                marker=marker,
                ms=7,
                mec="k",
                lw=1,
                label=f"{name} (trained at each λ; mean over seeds)",
            )
            for x, (gx, gy) in zip(xs, pts, strict=True):
                dy = -10 if marker == "o" else 4
                ax.annotate(
                    f"λ={x}", (gx, gy), fontsize=7, xytext=(4, dy), textcoords="offset points"
                )
        ax.set_xlabel("generated tokens per episode")
        ax.set_ylabel("accuracy")
    else:
        for name in learners:
            lr = [r for r in rows if r["policy"] == name]
            xs = sorted({r[key] for r in lr})
            ys = [np.mean([r["speak_rate"] for r in lr if r[key] == x]) for x in xs]
            prefix = "tier_rate_"  # evaluate's per-tier broadcast shares
            tiers = sorted({k[len(prefix) :] for r in lr for k in r if k.startswith(prefix)})
            used = [t for t in tiers if max(r[prefix + t] for r in lr) > 0]  # tiers ever sent
            only = f" (always the {used[0]} tier)" if len(tiers) > 1 and len(used) == 1 else ""
            ax.plot(xs, ys, "o-", label=f"{name}: speaking rate{only}")
            for tier in used if len(used) > 1 else ():  # which tier the learner sends
                ys = [np.mean([r[prefix + tier] for r in lr if r[key] == x]) for x in xs]
                ax.plot(xs, ys, ".--", lw=1, label=f"{name}: {tier} tier")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("budget (tokens)")
        ax.set_ylabel("share of agent-rounds with a broadcast")
    held = "".join(f", {k}={v}" for k, v in result.get("config", {}).items())
    ax.set_title(f"auction_v0, regime {result['regime']}{held}: {key} sweep", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--regimes", default="one_expert,asymmetric,tight_budget,tiered,default")
    p.add_argument("--seeds", default="0,1,2", type=lambda s: [int(x) for x in s.split(",")])
    p.add_argument("--text-episodes", type=int, default=500)
    p.add_argument("--eval-seed", type=int, default=100_000)
    p.add_argument("--eval-envs", type=int, default=4096)
    p.add_argument("--alpha-updates", type=int, default=40, help="0 skips α-REINFORCE")
    p.add_argument(
        "--mappo-action",
        choices=MAPPO_ACTIONS,
        default="continuous",
        help="MAPPO's bids: clipped Gaussian (mappo) or masked categorical (mappo_discrete)",
    )
    p.add_argument(
        "--mappo-ent-coef", type=float, default=0.0, help="MAPPO's entropy bonus (--ent-coef)"
    )
    p.add_argument(
        "--alpha-choose-updates",
        type=int,
        default=120,
        help="updates of the tier-choosing α on tiered regimes (0 skips it)",
    )
    p.add_argument(
        "--mappo-updates",
        type=int,
        default=None,
        help="MAPPO updates (default: 60, 150 for asymmetric; 0 skips MAPPO)",
    )
    p.add_argument(
        "--tianshou-updates",
        type=int,
        default=0,
        help="train the Tianshou MAPPO on the text env for this many updates (0 skips it)",
    )
    p.add_argument("--num-envs", type=int, default=1024)
    p.add_argument("--sweep", choices=("lambda", "budget"), default=None)
    p.add_argument("--sweep-regime", default="one_expert")
    p.add_argument(
        "--sweep-config",
        default="",
        help="fields held fixed on top of --sweep-regime (space-separated KEY=VALUE)",
    )
    p.add_argument("--out", default=None, help="write the results as JSON here")
    p.add_argument("--plot", default=None, help="sweeps: write the figure here (PNG)")
    p.add_argument("--replot", default=None, help="redraw --plot from a sweep's JSON (--out)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    if args.replot:
        result = json.loads(Path(args.replot).read_text())
        plot_sweep(result, Path(args.plot))
        print(f"wrote {args.plot}")
        return 0
    result = sweep(args) if args.sweep else table(args)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

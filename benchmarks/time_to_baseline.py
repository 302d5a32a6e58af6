"""Time to baseline: wall-clock seconds until MAPPO first beats the best fixed policy.

On a NAMED auction_v0 config (``--config``, a preset of ``examples/train_dala_vec.py``), two
trainers race against the best of the fixed baselines (silent, truthful, always, round_robin,
random), each evaluated on fixed seeds in the env it trains on:

- ``vec MAPPO``: ``examples/train_dala_vec.py`` on ``econ_env.vector`` (the batched torch twin;
  ``--num-envs`` auctions per step on ``--device``), evaluated every update on one batched reset
  of ``--eval-envs`` envs with a fixed seed, baselines played the same way;
- ``Tianshou MAPPO``: ``econ_env_agents.dala.mappo.train_mappo`` (Tianshou 2.0.1, the text AEC
  env; continuous bids: 48 episodes per update from 4 envs, γ = λ = 1, the settings
  ``examples/train_dala_tianshou.py`` had then; discrete bids: its settings now, 256 episodes
  from 16 envs, lr 1e-3, γ = 0.99, GAE λ = 0.95), evaluated every
  ``--tianshou-eval-every`` updates on ``--text-episodes`` fixed-seed episodes of the text env,
  baselines played the same way (``econ_env.bench.evaluate``).

"Beats" means: the greedy policy's mean team return on the evaluation seeds exceeds the best
baseline's (+ ``--margin``) by more than 1.96 standard errors of the difference (a
conservative test: both are played on the same seeds), so a lucky evaluation does not count.
The clock starts at the first training step and counts collection and updates only (the
evaluations are paused out of it; with them it is the "wall s" column). A trainer that has not
beaten the best baseline when ``--cap`` seconds of training have passed is reported as ``not
reached`` (never estimated). The vec MAPPO's policy at the moment it first won is also played
in the text env, to check that the win transfers. Steps/s: agent-steps (one bidder's bid) for
the vec MAPPO, Tianshou's collected AEC transitions (one bidder's bid, plus one dead step per
bidder per episode) for Tianshou.

    OMP_NUM_THREADS=1 python benchmarks/time_to_baseline.py --config expert [--cap 300]
        [--seeds 0,1,2] [--device cpu] [--margin 0.0] [--skip-tianshou]
        [--action-type continuous|discrete]

``--action-type`` sets both trainers' bids (continuous by default: the first documented
timings); the fixed baselines always play the continuous env, on the same seeds.

``--config default`` is auction_v0's defaults, where silence is the best fixed policy and (issue
14) no learner is known to beat it: expect ``not reached`` there.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]


def load_example() -> Any:
    """``examples/train_dala_vec.py`` as a module (its presets, trainer and evaluators)."""
    name = "train_dala_vec"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "train_dala_vec.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def run_vec(ex: Any, opts: argparse.Namespace, seed: int, run_dir: str) -> dict[str, Any]:
    """Train the vec MAPPO until it beats the best fixed baseline (or the cap)."""
    args = ex.Args(
        preset=opts.config,
        action_type=opts.action_type,  # continuous: the bids of the first documented timings
        num_envs=opts.num_envs,
        num_steps=opts.num_steps,
        updates=10**6,
        eval_every=1,
        eval_envs=opts.eval_envs,
        text_episodes=opts.text_episodes,
        seed=seed,
        device=opts.device,
        run_dir=run_dir,
        run_name=f"ttb_vec_{seed}",
        progress=False,
    )
    state: dict[str, Any] = {"reached": None, "best": None}

    def on_eval(record: dict[str, Any]) -> bool:
        state["best"] = record["best_baseline_return"]
        m = record["mappo"]
        base_se = record["best_baseline_se"]
        if beats(m["team_return"], m["team_return_se"], state["best"], base_se, opts.margin):
            state["reached"] = record
            return True
        return record["train_seconds"] >= opts.cap

    summary = ex.train(args, on_eval=on_eval)
    rec = state["reached"]
    last = summary["history"][-1]
    text = summary["text_eval"]
    text_best = max(ex.BASELINES, key=lambda b: text[b]["team_return"]) if text.get("mappo") else ""
    return {
        "trainer": "vec MAPPO",
        "seed": seed,
        "seconds": rec["train_seconds"] if rec else None,
        "wall_seconds": rec["seconds"] if rec else None,
        "updates": last["update"],
        "agent_steps": last["agent_steps"],
        "steps_per_s": summary["agent_steps_per_s"],
        "return": last["mappo"]["team_return"],
        "best_baseline": summary["vec_eval"]["best_baseline"],
        "baseline_return": state["best"],
        "text_return": text.get("mappo", {}).get("team_return"),
        "text_best_baseline": text_best,
        "text_baseline_return": text[text_best]["team_return"] if text_best else None,
    }


def beats(
    ret: float, se: float, base: float, base_se: float, margin: float = 0.0, z: float = 1.96
) -> bool:
    """The learner's mean team return exceeds the baseline's + ``margin`` by more than ``z``
    standard errors of the difference (independent samples: conservative on common seeds)."""
    return ret - base - margin > z * math.sqrt(se * se + base_se * base_se)


class _Stop(Exception):
    pass


def run_tianshou(ex: Any, opts: argparse.Namespace, seed: int) -> dict[str, Any]:
    """Train the Tianshou MAPPO on the text env until it beats the best fixed baseline."""
    from econ_env import auction_v0, make_policy
    from econ_env.auction_v0 import env_spec
    from econ_env_agents.dala.mappo import TEXT_ENV_SETTINGS, MAPPOConfig, train_mappo

    fixed = dict(ex.PRESETS[opts.config], action_type="continuous")  # the fixed bidders' env
    config = dict(fixed, action_type=opts.action_type)  # the learner's

    def env_fn() -> Any:
        return auction_v0.env(**config)

    def score(act: Any, played: dict[str, Any] = config) -> dict[str, float]:
        return ex.evaluate_text(played, act, opts.text_episodes, opts.eval_seed)

    spec = env_spec(**fixed)
    baselines = {b: score(make_policy(b, spec, opts.eval_seed).act, fixed) for b in ex.BASELINES}
    best = max(baselines, key=lambda b: baselines[b]["team_return"])
    base = baselines[best]
    device = "cpu" if opts.device == "cpu" else "auto"
    if opts.action_type == "discrete":  # examples/train_dala_tianshou.py's defaults
        lr = opts.tianshou_lr or TEXT_ENV_SETTINGS["lr"]
        cfg = MAPPOConfig(**{**TEXT_ENV_SETTINGS, "updates": 10**6, "lr": lr}, seed=seed,
                          device=device)  # fmt: skip
    else:  # the example's settings when the continuous timings were measured
        cfg = MAPPOConfig(updates=10**6, episodes_per_update=48, n_envs=4,
                          lr=opts.tianshou_lr or 1e-2, gamma=1.0, gae_lambda=1.0, seed=seed,
                          device=device)  # fmt: skip
    clock = {"train": 0.0, "mark": time.perf_counter(), "start": time.perf_counter()}
    out: dict[str, Any] = {"reached": None, "update": 0, "steps": 0, "return": float("nan")}

    def callback(update: int, agent: Any, rec: dict) -> None:
        clock["train"] += time.perf_counter() - clock["mark"]
        out["update"], out["steps"] = update + 1, rec["env_steps"]
        if (update + 1) % opts.tianshou_eval_every == 0:
            m = score(agent.act)
            out["return"] = m["team_return"]
            print(f"[Tianshou eval @ update {update + 1}, {clock['train']:.1f} s] mappo "
                  f"{m['team_return']:.3f} | best fixed ({best}) {base['team_return']:.3f}",
                  flush=True)  # fmt: skip
            if beats(m["team_return"], m["team_return_se"], base["team_return"],
                     base["team_return_se"], opts.margin):  # fmt: skip
                out["reached"] = (clock["train"], time.perf_counter() - clock["start"])
                raise _Stop
        if clock["train"] >= opts.cap:
            raise _Stop
        clock["mark"] = time.perf_counter()

    with contextlib.suppress(_Stop):
        train_mappo(env_fn, cfg, callback=callback)
    reached = out["reached"]
    return {
        "trainer": "Tianshou MAPPO",
        "seed": seed,
        "seconds": reached[0] if reached else None,
        "wall_seconds": reached[1] if reached else None,
        "updates": out["update"],
        "agent_steps": out["steps"],
        "steps_per_s": out["steps"] / max(clock["train"], 1e-9),
        "return": out["return"],
        "best_baseline": best,
        "baseline_return": base["team_return"],
        "text_return": out["return"],
        "text_best_baseline": best,
        "text_baseline_return": base["team_return"],
    }


def _s(x: float | None) -> str:
    return "not reached" if x is None else f"{x:.1f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="expert", help="preset of examples/train_dala_vec.py")
    p.add_argument("--cap", type=float, default=300.0, help="training seconds per trainer run")
    p.add_argument("--seeds", default="0", help="comma-separated training seeds")
    p.add_argument("--device", default="cpu", help="device of the vec MAPPO (cpu, cuda)")
    p.add_argument("--num-envs", type=int, default=1024, help="vec MAPPO envs")
    p.add_argument("--num-steps", type=int, default=8, help="vec MAPPO rounds per update")
    p.add_argument("--eval-envs", type=int, default=4096, help="vec evaluation episodes")
    p.add_argument("--eval-seed", type=int, default=10_000, help="first fixed evaluation seed")
    p.add_argument("--text-episodes", type=int, default=1000, help="text-env evaluation episodes")
    p.add_argument("--tianshou-eval-every", type=int, default=2, help="updates between evals")
    p.add_argument("--margin", type=float, default=0.0,
                   help="the learner must beat the best baseline's team return + this")  # fmt: skip
    p.add_argument(
        "--tianshou-lr",
        type=float,
        default=None,
        help="Tianshou MAPPO learning rate (default: 1e-2 continuous, 1e-3 discrete)",
    )
    p.add_argument(
        "--action-type",
        choices=("continuous", "discrete"),
        default="continuous",
        help="both trainers' bids (continuous: the documented first timings)",
    )
    p.add_argument("--skip-tianshou", action="store_true", help="run the vec MAPPO only")
    opts = p.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    ex = load_example()
    if opts.config not in ex.PRESETS:
        p.error(f"--config must be one of {sorted(ex.PRESETS)}")
    seeds = [int(s) for s in opts.seeds.split(",")]
    print(f"config {opts.config!r}: {ex.PRESETS[opts.config]} (cap {opts.cap:.0f} s per run)")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            rows.append(run_vec(ex, opts, seed, tmp))
            if not opts.skip_tianshou:
                rows.append(run_tianshou(ex, opts, seed))

    head = (f"{'trainer':<15} {'seed':>4} {'seconds':>12} {'wall s':>8} {'updates':>7} "
            f"{'steps/s':>13} {'return':>7} {'best fixed':>20} {'text env':>17}")  # fmt: skip
    print("\n" + head + "\n" + "-" * len(head))
    for r in rows:
        fixed = f"{r['best_baseline']} {r['baseline_return']:.3f}"
        text = "" if r["text_return"] is None else (
            f"{r['text_return']:.3f} vs {r['text_baseline_return']:.3f}")  # fmt: skip
        print(f"{r['trainer']:<15} {r['seed']:>4} {_s(r['seconds']):>12} "
              f"{_s(r['wall_seconds']):>8} {r['updates']:>7} {r['steps_per_s']:>13,.0f} "
              f"{r['return']:>7.3f} {fixed:>20} {text:>17}")  # fmt: skip
    print("seconds: training time (collection + updates) until the greedy policy's team return "
          f"on the fixed evaluation seeds first beat the best fixed baseline's (+ {opts.margin}) "
          "by > 1.96 SE; wall s adds the evaluations. text env: the policy (vec MAPPO: when it "
          "first won) against the text env's best fixed baseline.")  # fmt: skip

    def median(trainer: str) -> float | None:
        xs = [r["seconds"] for r in rows if r["trainer"] == trainer]
        return statistics.median(xs) if xs and all(x is not None for x in xs) else None

    vec, ts = median("vec MAPPO"), median("Tianshou MAPPO")

    def secs(x: float | None) -> str:
        return _s(x) + ("" if x is None else " s")

    print(f"\nmedian time to baseline: vec MAPPO {secs(vec)}", end="")
    print("" if opts.skip_tianshou else f", Tianshou MAPPO {secs(ts)}")
    if opts.skip_tianshou:
        pass
    elif vec is not None and ts is not None:
        print(f"ratio Tianshou / vec: {ts / vec:.1f}x")
    elif vec is not None:
        print(
            f"ratio Tianshou / vec: > {opts.cap / vec:.1f}x (Tianshou capped at {opts.cap:.0f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

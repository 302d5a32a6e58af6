"""Regenerate the figures of the documentation site (``docs/assets/``).

Three figures and one data file:

- ``docs/assets/games.png`` — a diagram of one round of each game (auction_v0, debate_v0), drawn
  with matplotlib; no training, under a second.
- ``docs/assets/dala_curve.png`` — learning curves of the DALA reference agents on auction_v0
  (MAPPO with a centralised critic, and α-REINFORCE), with the fixed bidders (silent, truthful,
  random) on the same evaluation seeds as horizontal lines.
- ``docs/assets/econ_curve.png`` — learning curve of the ECON reference agent on debate_v0, with
  the fixed-belief policies on the same evaluation seeds as horizontal lines.
- ``docs/assets/curves.json`` — the raw numbers behind both curves (per-update training
  metrics, every evaluation, every baseline), so the figures can be re-plotted without training.

Commands (from the repository root, in the project's venv)::

    OMP_NUM_THREADS=1 python scripts/docs_figures.py               # train, evaluate, plot all
    OMP_NUM_THREADS=1 python scripts/docs_figures.py --plot-only   # re-plot from curves.json
    OMP_NUM_THREADS=1 python scripts/docs_figures.py --only games  # just the diagram

``--only dala`` / ``--only econ`` retrain one game and keep the other's data in curves.json.
On a shared 2-core x86-64 CPU (one torch thread) the full run took 3 min 36 s (DALA 103 s,
ECON 106 s; 5 min 33 s on a busier machine, with identical numbers); the wall times of the last
run are stored in curves.json under ``meta.wall_s``. ``--plot-only`` and ``--only games`` take a
few seconds.

The runs use the training functions of the examples with the examples' default settings
(``examples/train_dala_tianshou.py``: λ = 3, 3 bidders, second price, 48 episodes per update,
lr 1e-2, eval on 100 fixed seeds from 10 000; ``examples/train_econ.py --regime flags``: the
ECON_ENV_CONFIG setting, seed 1) and the simulated backend, so every number is
deterministic: re-running reproduces curves.json. The examples are imported, never edited; the
training loops are the library's ``train_mappo``, ``train_alpha`` and ``train_econ``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "docs" / "assets"
CURVES = ASSETS / "curves.json"
DPI = 100

# ---------------------------------------------------------------- settings of the runs
DALA = {
    "env": {"cost_weight": 3.0, "n_agents": 3, "mechanism": "second_price"},
    "mappo": {"updates": 40, "episodes_per_update": 48, "n_envs": 4, "lr": 1e-2, "seed": 0},
    "alpha": {"episodes": 1920, "chunk": 192, "seed": 0},
    "eval_every": 4,  # updates
    "eval_episodes": 100,
    "eval_seed": 10_000,
    "baselines": ["silent", "truthful", "random", "always"],
}
ECON = {
    "episodes": 1000,
    "seed": 1,
    "eval_every": 100,
    "eval_episodes": 200,
    "eval_seed": 10_000,
    "baselines": ["neutral", "conservative", "exploratory", "truthful", "random"],
}


def _r(x: float, digits: int = 4) -> float:
    return round(float(x), digits)


def _columns(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Records (one dict per update) as columns (one list per metric): a smaller curves.json."""
    return {k: [r[k] for r in records] for k in records[0]} if records else {}


def _dumps(data: Any) -> str:
    """Indented JSON with every list of numbers on one line."""
    text = json.dumps(data, indent=1, sort_keys=True)
    return re.sub(r"\[[-0-9.eE,\s]*\]", lambda m: re.sub(r"\s+", "", m.group(0)), text) + "\n"


# ---------------------------------------------------------------- DALA
def run_dala() -> dict[str, Any]:
    """Train MAPPO and α-REINFORCE on auction_v0 and evaluate them and the fixed bidders."""
    import torch

    from econ_env import auction_v0, make_policy
    from econ_env.bench.evaluate import evaluate
    from econ_env_agents.dala.alpha import AlphaAgent, AlphaConfig, train_alpha
    from econ_env_agents.dala.mappo import DalaMAPPOAgent, MAPPOConfig, train_mappo

    torch.set_num_threads(1)
    env_kw = DALA["env"]

    def env_fn() -> Any:
        return auction_v0.env(**env_kw)

    def ev(policy_fn: Any, name: str) -> dict[str, float]:
        r = evaluate(
            env_fn,
            policy_fn,
            name=name,
            episodes=DALA["eval_episodes"],
            seed=DALA["eval_seed"],
            progress=False,
        )
        return {
            "accuracy": _r(r.accuracy),
            "mean_return": _r(r.mean_return),
            "billed_tokens": _r(r.billed_tokens),
            "generated_tokens": _r(r.generated_tokens),
        }

    out: dict[str, Any] = {
        "env": env_kw,
        "eval_episodes": DALA["eval_episodes"],
        "eval_seed": DALA["eval_seed"],
        "baselines": {},
    }
    for name in DALA["baselines"]:
        out["baselines"][name] = ev(lambda spec, seed, n=name: make_policy(n, spec, seed), name)
        print(f"[dala] {name:10s} {out['baselines'][name]}", flush=True)

    m = DALA["mappo"]
    cfg = MAPPOConfig(
        updates=m["updates"],
        episodes_per_update=m["episodes_per_update"],
        n_envs=m["n_envs"],
        lr=m["lr"],
        gamma=1.0,
        gae_lambda=1.0,
        seed=m["seed"],
        device="cpu",
    )
    train, evals = [], []

    def on_update(update: int, agent: Any, rec: dict) -> None:
        eps = (update + 1) * m["episodes_per_update"]
        train.append(
            {
                "episodes": eps,
                **{
                    k: _r(rec[k])
                    for k in ("mean_return", "accuracy", "billed_tokens", "generated_tokens")
                },
            }
        )
        if (update + 1) % DALA["eval_every"] == 0 or update + 1 == m["updates"]:
            evals.append({"episodes": eps, **ev(lambda spec, seed: agent, "mappo")})
            print(f"[dala] mappo @ {eps} episodes: {evals[-1]}", flush=True)

    t0 = time.perf_counter()
    untrained = DalaMAPPOAgent.from_env(env_fn(), cfg)  # the weights train_mappo starts from
    evals.append({"episodes": 0, **ev(lambda spec, seed: untrained, "mappo")})
    train_mappo(env_fn, cfg, callback=on_update)
    out["mappo"] = {
        "config": {**m, "gamma": 1.0, "gae_lambda": 1.0},
        "train": _columns(train),
        "eval": evals,
        "wall_s": round(time.perf_counter() - t0, 1),
    }

    a = DALA["alpha"]
    t0 = time.perf_counter()
    penv = auction_v0.parallel_env(**env_kw)
    agent = AlphaAgent.from_env(
        penv, AlphaConfig(episodes=a["chunk"], seed=a["seed"], device="cpu")
    )
    a_train, a_eval = [], [{"episodes": 0, **ev(lambda spec, seed: agent, "alpha")}]
    done = 0
    while done < a["episodes"]:  # chunks continue the same agent, generators and optimiser
        agent, hist = train_alpha(penv, agent)
        for h in hist:
            a_train.append(
                {
                    "episodes": done + h["episodes"],
                    "mean_return": _r(h["mean_return"]),
                    "alphas": [_r(x) for x in h["alphas"]],
                }
            )
        done += a["chunk"]
        a_eval.append({"episodes": done, **ev(lambda spec, seed, ag=agent: ag, "alpha")})
        print(f"[dala] alpha @ {done} episodes: {a_eval[-1]}", flush=True)
    out["alpha"] = {
        "config": a,
        "train": _columns(a_train),
        "eval": a_eval,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    return out


# ---------------------------------------------------------------- ECON
def run_econ() -> dict[str, Any]:
    """Train the ECON agent on debate_v0 (ECON_ENV_CONFIG) and evaluate it and fixed beliefs."""
    import torch

    import econ_env
    from econ_env import debate_v0
    from econ_env_agents.econ import ECON_ENV_CONFIG, EconConfig, evaluate, train_econ

    torch.set_num_threads(1)
    sys.path.insert(0, str(ROOT / "examples"))
    import train_econ as example  # the example's Args: its defaults are the run's settings

    args = example.Args(seed=ECON["seed"], episodes=ECON["episodes"], device="cpu", regime="flags")
    assert example.env_kwargs(args) == ECON_ENV_CONFIG

    def make_env() -> Any:
        return debate_v0.parallel_env(**ECON_ENV_CONFIG)

    seeds = range(ECON["eval_seed"], ECON["eval_seed"] + ECON["eval_episodes"])

    def ev(policy: Any) -> dict[str, float]:
        r = evaluate(policy, make_env, seeds)
        return {
            k: _r(r[k]) for k in ("team_return", "accuracy", "billed_tokens", "generated_tokens")
        }

    spec = econ_env.env_spec("debate_v0", **ECON_ENV_CONFIG)
    out: dict[str, Any] = {
        "env": ECON_ENV_CONFIG,
        "eval_episodes": ECON["eval_episodes"],
        "eval_seed": ECON["eval_seed"],
        "baselines": {},
    }
    for name in ECON["baselines"]:
        out["baselines"][name] = ev(econ_env.make_policy(name, spec, seed=0))
        print(f"[econ] {name:12s} {out['baselines'][name]}", flush=True)

    cfg = EconConfig(
        seed=args.seed,
        device="cpu",
        belief_levels=tuple(float(v) for v in args.belief_levels.split(",")),
        lr=args.lr,
        batch_episodes=args.batch_episodes,
        updates_per_episode=args.updates_per_episode,
        tau=args.tau,
        gamma=args.gamma,
        eps_decay_episodes=args.eps_decay_episodes,
        dynamic_weights=args.dynamic_weights,
        learning_starts=min(args.batch_episodes, args.episodes),
    )
    evals: list[dict[str, float]] = []

    def callback(learner: Any, i: int, metrics: dict[str, float]) -> None:
        if i == 0:  # one ε-greedy episode stored, no gradient step yet: the untrained agent
            evals.append({"episodes": 0, **ev(learner.agent)})
        done = i + 1
        if done % ECON["eval_every"] == 0:
            evals.append({"episodes": done, **ev(learner.agent)})
            print(f"[econ] @ {done} episodes: {evals[-1]}", flush=True)

    t0 = time.perf_counter()
    agent, history = train_econ(make_env, cfg, episodes=ECON["episodes"], callback=callback)
    cols = ("team_return", "correct", "billed_tokens", "epsilon")
    rows = zip(*(history[k] for k in cols), strict=True)
    train = [
        {
            "episode": i + 1,
            **{
                k: _r(v, 1 if k in ("correct", "billed_tokens") else 3)
                for k, v in zip(cols, row, strict=True)
            },
        }
        for i, row in enumerate(rows)
    ]
    out["beliefs"] = _chosen_beliefs(agent, make_env, seeds, cfg.belief_dims)
    print(f"[econ] beliefs chosen by the trained agent: {out['beliefs']}", flush=True)
    out["econ"] = {
        "config": cfg.to_dict(),
        "train": _columns(train),
        "eval": evals,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    return out


def _chosen_beliefs(agent: Any, make_env: Any, seeds: Any, dims: tuple[int, ...]) -> dict:
    """What the greedy agent plays on the evaluation seeds: the mean of each varied belief
    dimension (0 = temperature, 2 = repetition penalty) and how often each value is chosen."""
    import numpy as np

    env = make_env()
    chosen: list[np.ndarray] = []
    for s in seeds:
        agent.reset()
        obs, infos = env.reset(seed=int(s))
        while env.agents and not next(iter(infos.values()), {}).get("game_over", False):
            actions = agent.act(obs)
            chosen += [np.asarray(v, dtype=float) for v in actions.values()]
            obs, _, _, _, infos = env.step(actions)
    env.close()
    arr = np.stack(chosen)
    out: dict[str, Any] = {"actions": len(chosen)}
    for d in dims:
        values, counts = np.unique(np.round(arr[:, d], 3), return_counts=True)
        out[f"dim{d}"] = {
            "mean": _r(arr[:, d].mean()),
            "share": {f"{v:g}": _r(c / len(arr), 3) for v, c in zip(values, counts, strict=True)},
        }
    return out


# ---------------------------------------------------------------- plotting
BASE_STYLE = {
    "silent": ("#2ca02c", "--"),
    "truthful": ("#9467bd", "--"),
    "random": ("#7f7f7f", ":"),
    "always": ("#8c564b", ":"),
    "neutral": ("#2ca02c", "--"),
    "conservative": ("#17becf", "-."),
    "exploratory": ("#d62728", ":"),
    "round_robin": ("#bcbd22", ":"),
}


def _smooth(y: list[float], k: int) -> list[float]:
    out, acc = [], 0.0
    for i, v in enumerate(y):
        acc += v
        if i >= k:
            acc -= y[i - k]
        out.append(acc / min(i + 1, k))
    return out


def _baselines(ax: Any, base: dict[str, dict], key: str, rank: str) -> None:
    """Horizontal lines of the fixed policies, in the order of their ``rank`` metric (best
    first), so the legend ranks them and in-memory and re-loaded data plot the same."""
    for name, vals in sorted(base.items(), key=lambda kv: (-kv[1][rank], kv[0])):
        color, ls = BASE_STYLE.get(name, ("#333333", "--"))
        ax.axhline(vals[key], color=color, ls=ls, lw=1.4, label=f"{name} (fixed)")


def plot_dala(d: dict[str, Any], path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.9), dpi=DPI)
    panels = [
        ("mean_return", "team return (correct − λ·billed/budget)"),
        ("accuracy", "accuracy"),
        ("billed_tokens", "billed tokens / episode"),
    ]
    mp, al = d["mappo"], d["alpha"]
    for ax, (key, title) in zip(axes, panels, strict=True):
        _baselines(ax, d["baselines"], key, panels[0][0])
        ax.plot(
            mp["train"]["episodes"],
            mp["train"][key],
            color="#1f77b4",
            alpha=0.3,
            lw=1,
            label="MAPPO (training batches)",
        )
        ax.plot(
            [r["episodes"] for r in mp["eval"]],
            [r[key] for r in mp["eval"]],
            color="#1f77b4",
            marker="o",
            ms=4,
            lw=2,
            label="MAPPO (eval)",
        )
        ax.plot(
            [r["episodes"] for r in al["eval"]],
            [r[key] for r in al["eval"]],
            color="#ff7f0e",
            marker="s",
            ms=4,
            lw=2,
            label="α-REINFORCE (eval)",
        )
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("training episodes", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    env = d["env"]
    fig.suptitle(
        f"DALA agents on auction_v0 (simulated backend; {env['n_agents']} bidders, "
        f"{env['mechanism']}, λ = {env['cost_weight']:g}); eval: "
        f"{d['eval_episodes']} fixed seeds",
        fontsize=11,
    )
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8.5, frameon=False)
    fig.tight_layout(rect=(0, 0.13, 1, 0.95))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_econ(d: dict[str, Any], path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.9), dpi=DPI)
    ec = d["econ"]
    panels = [
        ("team_return", "team_return", "team return (all executors, all rounds)"),
        ("accuracy", "correct", "accuracy of the final commitment"),
        ("billed_tokens", "billed_tokens", "billed tokens / episode"),
    ]
    for ax, (key, train_key, title) in zip(axes, panels, strict=True):
        _baselines(ax, d["baselines"], key, panels[0][0])
        ax.plot(
            ec["train"]["episode"],
            _smooth(ec["train"][train_key], 50),
            color="#1f77b4",
            alpha=0.3,
            lw=1,
            label="ECON (ε-greedy training, mean of 50)",
        )
        ax.plot(
            [r["episodes"] for r in ec["eval"]],
            [r[key] for r in ec["eval"]],
            color="#1f77b4",
            marker="o",
            ms=4,
            lw=2,
            label="ECON (greedy eval)",
        )
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("training episodes", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(
        f"ECON agent on debate_v0 (simulated backend, ECON_ENV_CONFIG: "
        f"{d['env']['n_agents']} executors, {d['env']['max_rounds']} rounds, "
        f"λ = {d['env']['cost_weight']:g}); eval: {d['eval_episodes']} fixed seeds",
        fontsize=11,
    )
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8.5, frameon=False)
    fig.tight_layout(rect=(0, 0.13, 1, 0.95))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# ---------------------------------------------------------------- the games diagram
def _box(
    ax: Any,
    x: float,
    y: float,
    w: float,
    h: float,
    text: str,
    fc: str,
    fs: float = 8,
    bold: bool = False,
) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.01,rounding_size=0.015",
            fc=fc,
            ec="#333333",
            lw=1,
        )
    )
    ax.text(
        x, y, text, ha="center", va="center", fontsize=fs, fontweight="bold" if bold else "normal"
    )


def _arrow(
    ax: Any,
    a: tuple[float, float],
    b: tuple[float, float],
    text: str = "",
    color: str = "#333333",
    ls: str = "-",
    rad: float = 0.0,
) -> None:
    ax.add_patch(
        FancyArrowPatch(
            a,
            b,
            arrowstyle="-|>",
            mutation_scale=11,
            color=color,
            lw=1.2,
            ls=ls,
            connectionstyle=f"arc3,rad={rad}",
        )
    )
    if text:
        ax.text(
            (a[0] + b[0]) / 2 + 0.01,
            (a[1] + b[1]) / 2,
            text,
            fontsize=7.5,
            color=color,
            ha="left",
            va="center",
        )


def plot_games(path: Path) -> None:
    fig, (L, R) = plt.subplots(1, 2, figsize=(11, 5.6), dpi=DPI)
    for ax in (L, R):
        ax.set_xlim(-0.02, 1.07)
        ax.set_ylim(-0.01, 1)
        ax.axis("off")
    blue, green, yellow, red, grey = "#dbe9f6", "#dff0d8", "#fcf3cf", "#f8d7da", "#eeeeee"

    # ---- auction_v0 (DALA)
    L.set_title("auction_v0 — DALA: bid for the right to speak", fontsize=12, fontweight="bold")
    L.text(
        0.5,
        0.955,
        "every bidder drafts privately; only auction winners are heard",
        fontsize=8.5,
        ha="center",
        style="italic",
    )
    xs = (0.17, 0.5, 0.83)
    for i, x in enumerate(xs):
        _box(L, x, 0.87, 0.3, 0.085, f"bidder_{i}\ndraft + confidence", blue)
        _arrow(L, (x, 0.825), (x, 0.735), "bid" if i == 0 else "")
    _box(L, 0.5, 0.69, 0.96, 0.07, "bids  b₀, b₁, b₂  (a bid below the floor = stay silent)", grey)
    _arrow(L, (0.5, 0.655), (0.5, 0.595))
    _box(
        L,
        0.5,
        0.55,
        0.96,
        0.08,
        "mechanism: first / second price · top-k uniform · softmax · VCG\n"
        "→ winner(s) and their prices",
        yellow,
        bold=False,
    )
    _arrow(L, (0.5, 0.51), (0.5, 0.45))
    _box(
        L,
        0.5,
        0.40,
        0.96,
        0.08,
        "winner broadcasts its draft to everyone\n"
        "losers stay silent: their completion tokens are never billed",
        green,
    )
    _arrow(L, (0.5, 0.36), (0.5, 0.30))
    _box(
        L,
        0.5,
        0.255,
        0.96,
        0.075,
        "every bidder revises its draft after reading the broadcast\n"
        "next round … until the rounds or the budget run out",
        blue,
    )
    _arrow(L, (0.5, 0.2175), (0.5, 0.16))
    _box(
        L,
        0.5,
        0.115,
        0.96,
        0.075,
        "final answer = majority of the final drafts\n"
        "team reward = correct − λ · billed tokens / budget",
        red,
    )
    _box(
        L,
        0.5,
        0.025,
        0.96,
        0.045,
        "token ledger: bid prompts + winners' messages are billed; "
        "the budget (default 2048) ends the game",
        grey,
        fs=7.5,
    )

    # ---- debate_v0 (ECON)
    R.set_title("debate_v0 — ECON: coordinate through beliefs", fontsize=12, fontweight="bold")
    _box(
        R,
        0.5,
        0.87,
        0.7,
        0.085,
        "coordinator LLM\nwrites a strategy (once) and a commitment (each round)",
        yellow,
    )
    for i, x in enumerate(xs):
        _arrow(R, (0.5 + (x - 0.5) * 0.5, 0.825), (x, 0.755), "strategy" if i == 0 else "")
        _box(
            R,
            x,
            0.70,
            0.31,
            0.10,
            f"executor_{i}\nbelief b{'₀₁₂'[i]} ∈ [−1, 1]ᵈ\n→ temperature, top-p",
            blue,
        )
        _arrow(R, (x, 0.65), (x, 0.585))
        _box(R, x, 0.545, 0.25, 0.07, f"answer {i}\n(own sampling)", green)
        _arrow(R, (x, 0.51), (0.5 + (x - 0.5) * 0.5, 0.445))
    R.text(
        0.5,
        0.955,
        "executors never talk to each other: they act through beliefs",
        fontsize=8.5,
        ha="center",
        style="italic",
    )
    _box(
        R,
        0.5,
        0.40,
        0.96,
        0.08,
        "coordinator commits to an answer from the executors' answers\n"
        "stop: converged · belief change < ε · oscillation · budget · max rounds",
        yellow,
    )
    _arrow(R, (0.5, 0.36), (0.5, 0.30))
    _box(
        R,
        0.5,
        0.245,
        0.96,
        0.095,
        "reward per executor = α₁·AL + α₂·TS + α₃·CC − λ·tokens/budget\n"
        "AL agreement with the commitment · TS correctness · CC contribution\n"
        "(sentence embeddings)",
        red,
        fs=8,
    )
    R.plot([0.99, 1.03, 1.03], [0.245, 0.245, 0.70], color="#1f77b4", ls="--", lw=1.2)
    _arrow(R, (1.03, 0.70), (0.985, 0.70), color="#1f77b4", ls="--")
    R.text(
        1.05,
        0.47,
        "next round: new beliefs",
        fontsize=8,
        color="#1f77b4",
        rotation=90,
        ha="center",
        va="center",
    )
    _box(
        R,
        0.5,
        0.11,
        0.96,
        0.09,
        "executors learn beliefs toward a Bayesian Nash equilibrium\n"
        "(ECON agent: belief networks + QMIX mixer; groups=k adds local coordinators)",
        grey,
        fs=8,
    )
    _box(
        R,
        0.5,
        0.025,
        0.96,
        0.045,
        "token ledger: coordinator strategy/commitments + executor answers, against the budget",
        grey,
        fs=7.5,
    )

    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=("games", "dala", "econ"), help="regenerate one figure")
    p.add_argument("--plot-only", action="store_true", help="re-plot from docs/assets/curves.json")
    a = p.parse_args(argv)
    ASSETS.mkdir(parents=True, exist_ok=True)
    if a.only in (None, "games"):
        plot_games(ASSETS / "games.png")
        print(f"wrote {ASSETS / 'games.png'}")
    if a.only == "games":
        return 0
    data = json.loads(CURVES.read_text()) if CURVES.exists() else {}
    if not a.plot_only:
        import torch

        meta = data.setdefault("meta", {})
        meta.update(
            command="OMP_NUM_THREADS=1 python scripts/docs_figures.py",
            machine=f"{platform.machine()} CPU, {os.cpu_count()} cores (shared), "
            "torch 1 thread, simulated backend",
            python=platform.python_version(),
            torch=torch.__version__,
        )
        wall = meta.setdefault("wall_s", {})
        for game, fn in (("dala", run_dala), ("econ", run_econ)):
            if a.only in (None, game):
                t0 = time.perf_counter()
                data[game] = fn()
                wall[game] = round(time.perf_counter() - t0, 1)
                print(f"[{game}] wall {wall[game]} s", flush=True)
        CURVES.write_text(_dumps(data))
        print(f"wrote {CURVES}")
    if "dala" in data and a.only in (None, "dala"):
        plot_dala(data["dala"], ASSETS / "dala_curve.png")
        print(f"wrote {ASSETS / 'dala_curve.png'}")
    if "econ" in data and a.only in (None, "econ"):
        plot_econ(data["econ"], ASSETS / "econ_curve.png")
        print(f"wrote {ASSETS / 'econ_curve.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["main", "plot_dala", "plot_econ", "plot_games", "run_dala", "run_econ"]

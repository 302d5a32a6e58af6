"""Train a DALA bidder on auction_v0's text env: MAPPO through Tianshou, or α-REINFORCE.

    python examples/train_dala_tianshou.py                       # MAPPO, discrete bids, ~2 min
    python examples/train_dala_tianshou.py --device auto         # the same on CUDA when present
    python examples/train_dala_tianshou.py --agent alpha         # α-REINFORCE, ~1 min

A shared bid actor and a centralised value-density critic (``econ_env_agents.dala.mappo``) learn by
PPO through Tianshou 2.0.1's algorithm classes, Collector and buffers, over the adapter
``econ_env.integrations.tianshou.TianshouAECEnv`` (per-agent reward credit, dead steps, global
state, action masks, action clipping). The env uses the seeded ``simulated`` backend. The bids
are discrete by default (``--action-type discrete``: the env's ``action_type="discrete"``, a
masked categorical over silence and the bid levels); ``--action-type continuous`` is the
Gaussian bid of the first version. Every ``--eval-every`` updates the deterministic policy
plays the fixed evaluation seeds and the script prints
accuracy, team return and tokens (billed / generated) next to the **best fixed baseline** on the
same seeds (every fixed bidder — silent, truthful, always, round_robin, random — is evaluated
first, and the table at the end puts the learner beside all of them, and beside
self-consistency at its generated tokens: silent bidders with ``draft_samples = k``, the k
around the learner's tokens, ``econ_env_baselines.self_consistency``); TensorBoard scalars go to
``runs/<run-name>`` and safetensors checkpoints to ``<run-dir>/checkpoints``. ``--agent alpha``
trains DALA's α-REINFORCE bidder (``econ_env_agents.dala.alpha``, continuous bids; ~1 min).
``--updates`` and ``--episodes-per-update`` default to each agent's own (0 = the agent's
default: MAPPO 60 × 256 episodes, α 40 × 48).

Measured on ``one_expert`` (the defaults; 500 evaluation seeds from 10,000; table in
docs/guides/tianshou.md): the discrete MAPPO returns 0.795, 0.758 and 0.722 with training seeds
0, 1 and 2 against the best fixed bidder, silence, at 0.582 (truthful 0.428), speaking in 112 to
274 billed tokens per episode. Against self-consistency at its generated tokens: seeds 0 and 1
spend fewer than k = 2 (0.706 at 1,290) and return more; seed 2 spends 1,516, between k = 2 and
k = 3 (0.784 at 1,927), above the one and below the other.
α-REINFORCE (seed 0) returns 0.730. The continuous Tianshou MAPPO does **not** learn to stay
silent in 40 updates of 48 episodes (0.267 at lr 1e-2, 0.207 at 3e-3: every bidder ends up
bidding); the batched-env MAPPO is ``examples/train_dala_vec.py`` (docs/guides/regimes.md).

The env is a named regime of :mod:`econ_env.regimes` (``--regime``, default ``one_expert``: one
expert among two novices, auction_v1's defaults), where listening to the expert pays and the
best fixed policy (silence) is beaten by a state-dependent one; ``--regime default`` is
auction_v0's defaults, where silence is the best fixed policy.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from econ_env import auction_v0, make_policy
from econ_env.bench.evaluate import evaluate
from econ_env.cli_args import parse_dataclass_args
from econ_env.regimes import regime_config
from econ_env_agents.dala.mappo import (
    TEXT_ENV_SETTINGS,
    DalaMAPPOAgent,
    MAPPOConfig,
    train_mappo,
)
from econ_env_baselines.self_consistency import at_matched_tokens, describe

FIXED = ("silent", "truthful", "always", "round_robin", "random")
"""The fixed bidders the learner is compared with (econ_env_baselines.auction)."""

AGENT_DEFAULTS: dict[str, dict[str, object]] = {
    "mappo": {
        "action_type": "discrete",
        "updates": TEXT_ENV_SETTINGS["updates"],
        "episodes_per_update": TEXT_ENV_SETTINGS["episodes_per_update"],
    },
    "alpha": {"action_type": "continuous", "updates": 40, "episodes_per_update": 48},
}
"""What ``--action-type``, ``--updates`` and ``--episodes-per-update`` mean when left empty / 0."""


@dataclass(frozen=True)
class Args:
    agent: str = "mappo"
    """which DALA agent to train: ``mappo`` (Tianshou, value-density critic) or ``alpha``"""
    action_type: str = ""
    """bids: ``discrete`` (masked categorical over bid levels; MAPPO only) or ``continuous``
    (empty: MAPPO discrete, α continuous)"""
    updates: int = 0
    """updates, each collects ``episodes_per_update`` episodes then learns (0: MAPPO 60, α 40)"""
    episodes_per_update: int = 0
    """complete episodes collected per update (0: MAPPO 256, α 48)"""
    n_envs: int = TEXT_ENV_SETTINGS["n_envs"]
    """envs collected in parallel (MAPPO)"""
    lr: float = TEXT_ENV_SETTINGS["lr"]
    """Adam learning rate (MAPPO)"""
    regime: str = "one_expert"
    """named auction_v0 config (econ_env.regimes: default, one_expert, asymmetric, ...)"""
    cost_weight: float = 1.0
    """λ, the token-cost weight of the team reward (high λ makes speaking expensive)"""
    n_agents: int = 3
    """bidders"""
    mechanism: str = "second_price"
    """auction mechanism of auction_v0"""
    eval_every: int = 10
    """evaluate every this many updates (and after the last one)"""
    eval_episodes: int = 500
    """episodes per evaluation, seeds ``eval_seed .. eval_seed + eval_episodes - 1``"""
    eval_seed: int = 10_000
    """first fixed evaluation seed (disjoint from training seeds)"""
    seed: int = 0
    """seed of weights, sampling and training envs"""
    device: str = "auto"
    """auto | cpu | cuda"""
    run_dir: str = "runs"
    """TensorBoard and checkpoint root"""
    run_name: str = ""
    """run sub-directory (default: dala_<agent>_<seed>_<time>)"""
    threads: int = 1
    """torch threads (1 is fastest for these small networks on a shared machine)"""

    def __post_init__(self) -> None:
        if self.agent not in ("mappo", "alpha"):
            raise ValueError(f"agent must be 'mappo' or 'alpha', got {self.agent!r}")
        if self.action_type not in ("", "discrete", "continuous"):
            raise ValueError(
                f"action_type must be 'discrete' or 'continuous', got {self.action_type!r}"
            )
        if self.agent == "alpha" and self.action_type == "discrete":
            raise ValueError("action_type 'discrete' is MAPPO's; α-REINFORCE bids continuously")
        defaults = AGENT_DEFAULTS[self.agent]
        for name in ("action_type", "updates", "episodes_per_update"):
            if not getattr(self, name):  # frozen dataclass: fill the agent's defaults once
                object.__setattr__(self, name, defaults[name])
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")
        for name in ("updates", "episodes_per_update", "n_envs", "eval_every", "eval_episodes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


def parse_args(argv: list[str] | None = None) -> Args:
    """CleanRL-style flags from the fields of :class:`Args` (their docstrings are the help)."""
    return parse_dataclass_args(Args, argv, description=__doc__.split("\n\n")[0])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    name = args.run_name or f"dala_{args.agent}_{args.seed}_{int(time.time())}"
    run = Path(args.run_dir) / name
    ckpt_dir = run / "checkpoints"
    writer = SummaryWriter(str(run))
    writer.add_text("args", str(dataclasses.asdict(args)))
    env_kw = regime_config(
        "auction_v0",
        args.regime,
        cost_weight=args.cost_weight,
        n_agents=args.n_agents,
        mechanism=args.mechanism,
    )

    learner_kw = {**env_kw, "action_type": args.action_type}

    def env_fn():  # the fixed bidders' env: the regime as named (continuous bids)
        return auction_v0.env(**env_kw)

    def learner_env_fn():  # the learner's: the same games, with its action type
        return auction_v0.env(**learner_kw)

    results: dict[str, object] = {}

    def run_eval(policy_fn, label: str, step: int) -> None:
        play_fn = env_fn if label in FIXED else learner_env_fn
        r = evaluate(play_fn, policy_fn, name=label, episodes=args.eval_episodes,
                     seed=args.eval_seed, progress=False)  # fmt: skip
        results[label] = r
        best = max(FIXED, key=lambda b: results[b].mean_return) if FIXED[-1] in results else None
        versus = "" if best is None or label in FIXED else (
            f" | best fixed ({best}) return {results[best].mean_return:.3f}"
        )  # fmt: skip
        tqdm.write(
            f"[eval {label} @ {step}] accuracy {r.accuracy:.3f} return {r.mean_return:.3f} "
            f"tokens billed {r.billed_tokens:.1f} generated {r.generated_tokens:.1f}{versus}"
        )
        for key in ("accuracy", "mean_return", "billed_tokens", "generated_tokens"):
            writer.add_scalar(f"eval_{label}/{key}", getattr(r, key), step)

    # a policy is built from the env's public description (spec), never from the env
    for name in FIXED:
        run_eval(lambda spec, seed, name=name: make_policy(name, spec, seed), name, 0)
    if args.agent == "alpha":
        code = _train_alpha(args, env_kw, run_eval, writer, ckpt_dir)
        _print_table(results, args, env_kw)
        return code

    cfg = MAPPOConfig(
        updates=args.updates,
        episodes_per_update=args.episodes_per_update,
        n_envs=args.n_envs,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
    )
    bar = tqdm(total=args.updates, desc="MAPPO updates")

    def on_update(update: int, agent: DalaMAPPOAgent, rec: dict) -> None:
        step = rec["env_steps"]
        for key, value in rec.items():
            if isinstance(value, int | float) and key not in ("update", "env_steps"):
                writer.add_scalar(f"train/{key}", value, step)
        bar.set_postfix(ret=f"{rec['mean_return']:.3f}", billed=f"{rec['billed_tokens']:.0f}")
        bar.update(1)
        if (update + 1) % args.eval_every == 0 or update + 1 == args.updates:
            run_eval(lambda spec, seed: agent, "mappo", step)
            path = agent.save(ckpt_dir / f"mappo_{update + 1:05d}.safetensors")
            tqdm.write(f"checkpoint {path}")

    agent, _ = train_mappo(learner_env_fn, cfg, callback=on_update)
    bar.close()
    agent.save(ckpt_dir / "mappo_final.safetensors")
    writer.close()
    _print_table(results, args, env_kw)
    print(f"done: TensorBoard logs and checkpoints in {run}")
    return 0


def _print_table(results: dict, args: Args, env_kw: dict) -> None:
    """The learner's last evaluation beside every fixed bidder and beside self-consistency at
    its generated tokens (silent bidders with ``draft_samples = k``), on the same seeds."""
    print(f"\nregime {args.regime}, {args.eval_episodes} evaluation episodes (seeds from "
          f"{args.eval_seed}):")  # fmt: skip
    best = max(FIXED, key=lambda b: results[b].mean_return)
    for label, r in results.items():
        mark = "  <- best fixed" if label == best else ""
        print(f"  {label:<12} return {r.mean_return:7.3f}  accuracy {r.accuracy:.3f}  "
              f"billed {r.billed_tokens:7.1f}  generated {r.generated_tokens:7.1f}"
              f"{mark}")  # fmt: skip
    learner = next((label for label in results if label not in FIXED), None)
    if learner is None:
        return

    def metrics(r) -> dict:
        return {"team_return": r.mean_return, "accuracy": r.accuracy,
                "generated_tokens": r.generated_tokens}  # fmt: skip

    def play(k: int) -> dict:
        kw = {**env_kw, "draft_samples": k}
        r = evaluate(lambda: auction_v0.env(**kw),
                     lambda spec, seed: make_policy("silent", spec, seed),
                     name=f"self-consistency k={k}", episodes=args.eval_episodes,
                     seed=args.eval_seed, progress=False)  # fmt: skip
        return metrics(r)

    sc = at_matched_tokens(play, results[learner].generated_tokens)
    print("  " + describe(sc, metrics(results[learner]), learner))


def _train_alpha(args: Args, env_kw: dict, run_eval, writer, ckpt_dir: Path) -> int:
    """Train DALA's α-REINFORCE bidder (``econ_env_agents.dala.alpha``)."""
    from econ_env_agents.dala.alpha import AlphaAgent, AlphaConfig, train_alpha

    env = auction_v0.parallel_env(**env_kw)
    episodes = args.updates * args.episodes_per_update
    agent = AlphaAgent.from_env(env, AlphaConfig(episodes=episodes, seed=args.seed))
    agent, history = train_alpha(env, agent)
    for rec in tqdm(history, desc="α updates"):
        writer.add_scalar("train/mean_return", rec["mean_return"], rec["steps"])
    run_eval(lambda spec, seed: agent, "alpha", history[-1]["steps"] if history else 0)
    path = agent.save(ckpt_dir / "alpha_final.safetensors")
    writer.close()
    print(f"done: checkpoint {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

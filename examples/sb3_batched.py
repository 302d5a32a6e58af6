"""Parameter-shared PPO (Stable-Baselines3) trained on a batched game, played in the text env.

    OMP_NUM_THREADS=1 python examples/sb3_batched.py                 # auction, one_expert, ~2 min
    OMP_NUM_THREADS=1 python examples/sb3_batched.py --maskable true # discrete bids, MaskablePPO
    OMP_NUM_THREADS=1 python examples/sb3_batched.py --game debate   # debate, expert_herding

SB3's PPO (or sb3-contrib's MaskablePPO with ``--maskable``: bid levels and action masks) trains
on :class:`econ_env.integrations.sb3_batched.BatchedSB3VecEnv`: ``--num-envs`` games of the
batched twin (:mod:`econ_env.vector`) as ``num_envs * n_agents`` SB3 slots, one policy for every
agent (it tells them apart by the observation's ``agent_id``). That is the same game as the
text env at the batched env's speed: 200,000 agent-steps take about 25 s here, where the
SuperSuit example (``examples/sb3_supersuit.py``) steps the text env one Python episode at a
time.

The trained policy then plays the *text* env (``econ_env.make("<game>_v0", **config)``) on
``--eval-episodes`` fixed seeds (``--eval-seed`` onwards, never used in training), beside every
fixed policy on the same seeds: mean team return with 95% CIs, the paired difference from the
best fixed policy, accuracy and tokens. Auction: the fixed bidders of ``econ_env_baselines``
(silent, truthful, always, round_robin, random) and self-consistency at the learner's generated
tokens (silent bidders with ``draft_samples = k``; ``econ_env_baselines.self_consistency``).
Debate: the named beliefs of ``econ_env_baselines.debate`` and the three best constant beliefs
(``econ_env_baselines.debate_constants``).

The env is a named regime of :mod:`econ_env.regimes` (``--regime``; by default ``one_expert``
for the auction — auction_v1's defaults, one expert among two novices, where silence is the best
fixed policy and the expert speaking while the drafts disagree beats it — and
``expert_herding`` for the debate). Measured with the defaults (3 seeds, 1,000 evaluation
episodes): ``docs/guides/other-libraries.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")


@dataclass
class Args:
    game: str = "auction"
    """auction (auction_v0) or debate (debate_v0)"""
    regime: str = ""
    """a named regime of the game in econ_env.regimes; empty: one_expert for the auction,
    expert_herding for the debate"""
    total_timesteps: int = 200_000
    """agent steps used for training (summed over every slot of the batched env)"""
    num_envs: int = 256
    """auctions in the batched env (num_envs * n_agents SB3 slots)"""
    n_steps: int = 16
    """PPO rollout length per slot and update"""
    batch_size: int = 2048
    """PPO minibatch size"""
    learning_rate: float = 3e-4
    """Adam learning rate"""
    maskable: bool = False
    """train sb3-contrib's MaskablePPO on the discrete auction (bid levels + action masks)"""
    seed: int = 0
    """seed of the batched env's first reset and of PPO's networks"""
    eval_episodes: int = 1000
    """text-env evaluation episodes, seeds eval_seed .. eval_seed + eval_episodes - 1"""
    eval_seed: int = 10_000
    """first evaluation seed"""
    self_consistency: bool = True
    """auction: also play self-consistency (silent bidders, draft_samples = k) at the learner's
    generated tokens"""
    device: str = "cpu"
    """torch device of the batched env and of PPO (cpu, cuda or auto)"""
    max_rounds_truncates: bool = True
    """flag an episode that reaches max_rounds truncated while training (the named regimes' and
    the v0 games' flag; SB3 then bootstraps a value after the scored answer); false: terminated,
    as in the v1 games (on one_expert it then needs about twice the steps, docs)"""


FIXED = ("silent", "truthful", "always", "round_robin", "random")
"""The fixed bidders the shared policy is compared with on the auction (econ_env_baselines.
auction), every bidder playing the same one."""

DEFAULT_REGIME = {"auction": "one_expert", "debate": "expert_herding"}
"""The regime of each game when ``--regime`` is empty: where a state-dependent policy beats
every fixed one."""


def env_config(args: Args) -> dict[str, Any]:
    """The regime's config (discrete bids with ``--maskable``); checks the game flags."""
    from econ_env.regimes import regime_config

    if args.game not in DEFAULT_REGIME:
        raise ValueError(f"--game must be one of {sorted(DEFAULT_REGIME)}, got {args.game!r}")
    if args.maskable and args.game != "auction":
        raise ValueError("--maskable needs --game auction (the debate's actions are beliefs)")
    config = regime_config(f"{args.game}_v0", args.regime or DEFAULT_REGIME[args.game])
    config["max_rounds_truncates"] = args.max_rounds_truncates  # the flag only; same game
    if args.maskable:
        config["action_type"] = "discrete"
    return config


def fixed_policies(args: Args, config: dict[str, Any]) -> dict[str, Any]:
    """Every fixed policy of the game, by name: the auction's fixed bidders; the debate's named
    beliefs and its three best constant beliefs (ranked on the batched twin)."""
    from econ_env import env_spec, make_policy
    from econ_env_baselines.debate_constants import fixed_beliefs

    if args.game == "debate":
        return fixed_beliefs(config, constants=3, seed=args.seed)
    spec = env_spec("auction_v0", **config)
    return {k: make_policy(k, spec, args.seed) for k in FIXED}


def play_text(act, config: dict[str, Any], args: Args) -> np.ndarray:
    """Per episode of the game's text env on the evaluation seeds
    (``econ_env_baselines.compare.episode_rows``): [team return, correct, billed tokens,
    generated tokens]. Team return: the auction's shared team reward; the debate's sum over
    executors of their rewards (ECON's convention)."""
    from econ_env import make
    from econ_env_baselines.compare import episode_rows

    seeds = range(args.eval_seed, args.eval_seed + args.eval_episodes)
    team = "first" if args.game == "auction" else "sum"
    return episode_rows(make(f"{args.game}_v0", **config), act, seeds, team=team)


def main(args: Args) -> dict[str, Any]:
    import torch
    from stable_baselines3 import PPO

    from econ_env import env_spec, make_policy
    from econ_env.integrations.sb3 import SB3Policy
    from econ_env.integrations.sb3_batched import make_batched_sb3_env
    from econ_env_baselines.compare import format_comparison, row_means, versus_fixed
    from econ_env_baselines.self_consistency import at_matched_tokens, describe

    config = env_config(args)  # checks the flags before training
    torch.set_num_threads(1)
    venv = make_batched_sb3_env(
        f"{args.game}_v0", args.num_envs, seed=args.seed, device=args.device, **config
    )
    algo = PPO
    if args.maskable:
        from sb3_contrib import MaskablePPO

        algo = MaskablePPO
    model = algo(
        "MlpPolicy",
        venv,
        n_steps=args.n_steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        gamma=1.0,
        seed=args.seed,
        device=args.device,
        verbose=0,
    )
    model.learn(total_timesteps=args.total_timesteps)
    name = f"shared {algo.__name__}"
    learner = play_text(SB3Policy(model).act, config, args)
    fixed = {k: play_text(p.act, config, args) for k, p in fixed_policies(args, config).items()}
    comparison = versus_fixed(learner[:, 0], {k: v[:, 0] for k, v in fixed.items()})
    regime = args.regime or DEFAULT_REGIME[args.game]
    print(f"{args.game}_v0 regime {regime}, text env, {args.eval_episodes} evaluation episodes "
          f"(seeds from {args.eval_seed}), team return:")  # fmt: skip
    print("\n".join(format_comparison(name, comparison)))
    table = {name: row_means(learner), **{k: row_means(v) for k, v in fixed.items()}}
    for label, m in table.items():
        print(f"  {label:<22} accuracy {m['accuracy']:.3f}  billed {m['billed_tokens']:7.1f}  "
              f"generated {m['generated_tokens']:7.1f}")  # fmt: skip
    out: dict[str, Any] = {
        "trained": comparison["learner"][0],
        "comparison": comparison,
        "metrics": table,
    }
    if args.self_consistency and args.game == "auction":
        silent = make_policy("silent", env_spec("auction_v0", **config), 0)

        def play(k: int) -> dict[str, float]:
            return row_means(play_text(silent.act, {**config, "draft_samples": k}, args))

        sc = at_matched_tokens(play, table[name]["generated_tokens"])
        print("  " + describe(sc, table[name], name))
        out["self_consistency"] = {str(k): v for k, v in sc.items()}
    return out


def parse_args(argv: list[str] | None = None) -> Args:
    """CleanRL-style flags from the fields of :class:`Args` (their docstrings are the help)."""
    from econ_env.cli_args import parse_dataclass_args  # after OMP_NUM_THREADS is set

    return parse_dataclass_args(Args, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    main(parse_args())

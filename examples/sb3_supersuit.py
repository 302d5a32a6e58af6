"""Parameter-shared PPO for every bidder of the DALA auction with Stable-Baselines3 + SuperSuit.

One policy acts for all bidders (SuperSuit's ``pettingzoo_env_to_vec_env_v1`` +
``concat_vec_envs_v1``, wrapped by :func:`econ_env.integrations.sb3.make_sb3_vec_env`) of the
text env. After training, the team return over fixed evaluation seeds (10_000 ..) is printed
beside every fixed bidder of ``econ_env_baselines`` (silent, truthful, always, round_robin,
random) on the same questions, marking the best of them, with the paired difference, then
accuracy and tokens, and self-consistency at the learner's generated tokens.

By default sb3-contrib's MaskablePPO plays discrete bid levels (masks through
``action_masks()``) on ``auction_v1`` (one expert among two novices), where what to do depends
on the seat and the state: 200,000 agent-steps on 16 copies, about 2 minutes on one CPU core.
With ``--eval-episodes 1000`` seeds 0, 1, 2 return 0.770, 0.782, 0.824 (± 0.022) against
silence's 0.578 ± 0.031, and above self-consistency at matched tokens (k = 2: 0.725 at 1,288
generated tokens): the expert learns to speak only when it is outvoted
(docs/guides/regimes.md). ``--maskable false`` trains PPO on the continuous bids (0.712 ± 0.046
for seeds 0–2 over 300 episodes, against silence's 0.610 ± 0.055). ``--env auction_v0`` trains
on equal bidders, where silence is the best fixed policy.
``examples/sb3_batched.py`` trains the same shared PPO on the batched twin, ~10× faster.

Seeding: ``PPO(seed=...)`` crashes on SuperSuit's vec env upstream (``ConcatVecEnv`` has no
``seed``); our adapter fixes that, and this script seeds explicitly anyway: the env's first
reset (``seed``; copy ``i`` gets ``seed + i``) and ``set_random_seed`` for the networks.

    OMP_NUM_THREADS=1 python examples/sb3_supersuit.py
    OMP_NUM_THREADS=1 python examples/sb3_supersuit.py --maskable false
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")


@dataclass
class Args:
    env: str = "auction_v1"
    """registry name of the auction (auction_v1: one expert among novices; auction_v0: equals)"""
    total_timesteps: int = 200_000
    """agent steps used for training (summed over all bidders and env copies)"""
    n_envs: int = 16
    """independent copies of the game (num_envs = n_envs * n_agents slots)"""
    n_steps: int = 64
    """PPO rollout length per slot and update"""
    batch_size: int = 1024
    """PPO minibatch size"""
    learning_rate: float = 3e-4
    """Adam learning rate"""
    n_agents: int = 3
    """bidders sharing the policy"""
    cost_weight: float = 1.0
    """λ: weight of billed tokens in the team reward"""
    maskable: bool = True
    """train sb3-contrib's MaskablePPO on the discrete game (bid levels + action masks); false:
    PPO on the continuous bids"""
    seed: int = 0
    """seed of the training envs' first reset and of the networks (set_random_seed)"""
    eval_episodes: int = 300
    """evaluation episodes on seeds 10_000 .. (never used for training)"""
    self_consistency: bool = True
    """also play self-consistency (silent bidders, draft_samples = k) at the learner's
    generated tokens (econ_env_baselines.self_consistency)"""
    device: str = "cpu"
    """torch device for PPO (cpu, cuda or auto)"""


def env_kwargs(args: Args) -> dict:
    kw = {"n_agents": args.n_agents, "cost_weight": args.cost_weight}
    if args.maskable:
        kw["action_type"] = "discrete"
    return kw


def play_text(act, args: Args, **extra) -> np.ndarray:
    """Per episode of seeds 10_000 .. 10_000 + eval_episodes - 1 of the text env (config plus
    ``extra``; ``econ_env_baselines.compare.episode_rows``): [team return, correct, billed
    tokens, generated tokens]; every bidder gets the team return."""
    from econ_env import make
    from econ_env_baselines.compare import episode_rows

    env = make(args.env, **env_kwargs(args), **extra)
    return episode_rows(env, act, range(10_000, 10_000 + args.eval_episodes))


def main(args: Args) -> dict:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.utils import set_random_seed

    from econ_env import env_spec, make_parallel, make_policy
    from econ_env.integrations.sb3 import SB3Policy, make_sb3_vec_env
    from econ_env_baselines.compare import format_comparison, row_means, versus_fixed
    from econ_env_baselines.self_consistency import at_matched_tokens, describe

    torch.set_num_threads(1)
    if args.env not in AUCTIONS:
        raise ValueError(f"--env must be one of {AUCTIONS}, got {args.env!r}")
    set_random_seed(args.seed)
    kw = env_kwargs(args)
    vec = make_sb3_vec_env(partial(make_parallel, args.env, **kw), args.n_envs, seed=args.seed)
    algo = PPO
    if args.maskable:
        from sb3_contrib import MaskablePPO

        algo = MaskablePPO
    model = algo(
        "MlpPolicy",
        vec,
        n_steps=args.n_steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        gamma=1.0,
        device=args.device,
        verbose=0,
    )
    model.learn(total_timesteps=args.total_timesteps)
    vec.close()
    name = f"shared {algo.__name__}"
    learner = play_text(SB3Policy(model).act, args)
    spec = env_spec(args.env, **kw)
    fixed = {k: play_text(make_policy(k, spec, args.seed).act, args) for k in FIXED}
    result = versus_fixed(learner[:, 0], {k: v[:, 0] for k, v in fixed.items()})
    print(f"{args.env}: team return over {args.eval_episodes} evaluation episodes (same seeds):")
    print("\n".join(format_comparison(name, result)))
    table = {name: row_means(learner), **{k: row_means(v) for k, v in fixed.items()}}
    for label, m in table.items():
        print(f"  {label:<22} accuracy {m['accuracy']:.3f}  billed {m['billed_tokens']:7.1f}  "
              f"generated {m['generated_tokens']:7.1f}")  # fmt: skip
    out = {
        "trained": result["learner"][0],
        "random": result["fixed"]["random"][0],
        "comparison": result,
        "metrics": table,
    }
    if args.self_consistency:
        silent = make_policy("silent", spec, 0)

        def play(k: int) -> dict[str, float]:
            return row_means(play_text(silent.act, args, draft_samples=k))

        sc = at_matched_tokens(play, table[name]["generated_tokens"])
        print("  " + describe(sc, table[name], name))
        out["self_consistency"] = {str(k): v for k, v in sc.items()}
    return out


AUCTIONS = ("auction_v0", "auction_v1")
"""The auction envs of the registry (the example's bidders and baselines are auction policies)."""

FIXED = ("silent", "truthful", "always", "round_robin", "random")
"""The fixed bidders the shared policy is compared with (econ_env_baselines.auction), every
bidder playing the same one."""


def parse_args(argv: list[str] | None = None) -> Args:
    """CleanRL-style flags from the fields of :class:`Args` (their docstrings are the help)."""
    from econ_env.cli_args import parse_dataclass_args  # after OMP_NUM_THREADS is set

    return parse_dataclass_args(Args, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    main(parse_args())

"""Parameter-shared PPO for every bidder of auction_v0 with Stable-Baselines3 + SuperSuit.

One PPO policy acts for all bidders (SuperSuit's ``pettingzoo_env_to_vec_env_v1`` +
``concat_vec_envs_v1``, wrapped by :func:`econ_env.integrations.sb3.make_sb3_vec_env`). After
training, the team return over fixed evaluation seeds (10_000 ..) is printed beside every fixed
bidder of ``econ_env_baselines`` (silent, truthful, always, round_robin, random) on the same
questions, marking the best of them. It shows the adapter; on the text env it is too slow to
learn ``one_expert`` in an example's time: ``examples/sb3_batched.py`` trains the same shared
PPO on the batched twin and wins there. ``--maskable`` trains sb3-contrib's
MaskablePPO on the discrete variant instead (bid levels, masks through ``action_masks()``).

Seeding: ``PPO(seed=...)`` crashes on SuperSuit's vec env upstream (``ConcatVecEnv`` has no
``seed``); our adapter fixes that, and this script seeds explicitly anyway: the env's first
reset (``seed``; copy ``i`` gets ``seed + i``) and ``set_random_seed`` for the networks.

    OMP_NUM_THREADS=1 python examples/sb3_supersuit.py --total-timesteps 12000
    OMP_NUM_THREADS=1 python examples/sb3_supersuit.py --maskable true
"""

from __future__ import annotations

import os
from dataclasses import dataclass

os.environ.setdefault("OMP_NUM_THREADS", "1")


@dataclass
class Args:
    total_timesteps: int = 12_000
    """agent steps used for training (summed over all bidders and env copies)"""
    n_envs: int = 2
    """independent copies of the game (num_envs = n_envs * n_agents slots)"""
    n_steps: int = 256
    """PPO rollout length per slot and update"""
    batch_size: int = 256
    """PPO minibatch size"""
    learning_rate: float = 1e-3
    """Adam learning rate"""
    n_agents: int = 3
    """bidders sharing the policy"""
    cost_weight: float = 1.0
    """λ: weight of billed tokens in the team reward"""
    maskable: bool = False
    """train sb3-contrib's MaskablePPO on the discrete game (bid levels + action masks)"""
    seed: int = 0
    """seed of the training envs' first reset and of the networks (set_random_seed)"""
    eval_episodes: int = 300
    """evaluation episodes on seeds 10_000 .. (never used for training)"""
    device: str = "cpu"
    """torch device for PPO (cpu, cuda or auto)"""


def env_kwargs(args: Args) -> dict:
    kw = {"n_agents": args.n_agents, "cost_weight": args.cost_weight}
    if args.maskable:
        kw["action_type"] = "discrete"
    return kw


def team_returns(act, args: Args) -> list[float]:
    """The team return (every bidder gets it) of each episode of seeds 10_000 ..
    10_000 + eval_episodes - 1."""
    from econ_env import auction_v0

    env = auction_v0.parallel_env(**env_kwargs(args))
    returns = []
    for ep in range(args.eval_episodes):
        obs, _ = env.reset(seed=10_000 + ep)
        total = 0.0
        while env.agents:
            obs, rewards, _, _, _ = env.step({a: act(obs[a], a) for a in env.agents})
            total += rewards[env.possible_agents[0]]
        returns.append(total)
    return returns


def main(args: Args) -> dict:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.utils import set_random_seed

    from econ_env import auction_v0, env_spec, make_policy
    from econ_env.integrations.sb3 import SB3Policy, make_sb3_vec_env
    from econ_env_baselines.compare import format_comparison, versus_fixed

    torch.set_num_threads(1)
    set_random_seed(args.seed)
    kw = env_kwargs(args)
    vec = make_sb3_vec_env(lambda: auction_v0.parallel_env(**kw), args.n_envs, seed=args.seed)
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
    trained = team_returns(SB3Policy(model).act, args)
    spec = env_spec("auction_v0", **kw)
    fixed = {name: team_returns(make_policy(name, spec, args.seed).act, args) for name in FIXED}
    result = versus_fixed(trained, fixed)
    print(f"team return over {args.eval_episodes} evaluation episodes (same seeds):")
    print("\n".join(format_comparison(f"shared {algo.__name__}", result)))
    return {
        "trained": result["learner"][0],
        "random": result["fixed"]["random"][0],
        "comparison": result,
    }


FIXED = ("silent", "truthful", "always", "round_robin", "random")
"""The fixed bidders the shared policy is compared with (econ_env_baselines.auction), every
bidder playing the same one."""


def parse_args(argv: list[str] | None = None) -> Args:
    """CleanRL-style flags from the fields of :class:`Args` (their docstrings are the help)."""
    from econ_env.cli_args import parse_dataclass_args  # after OMP_NUM_THREADS is set

    return parse_dataclass_args(Args, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    main(parse_args())

"""Train one auction_v0 seat with Stable-Baselines3 PPO against truthful co-players.

The learner plays ``bidder_0`` through the Gymnasium single-agent view
(``gymnasium.make("econ_env/Auction-v0")``); the other bidders bid their own confidence. After
training, the learner's return over fixed evaluation seeds is printed beside every fixed bidder
of ``econ_env_baselines`` in the same seat (silent, truthful, always, round_robin, random), with
95% CIs and the paired difference from the best of them.

Measured with the defaults (seed 0, 1,000 episodes): PPO 0.076 ± 0.054 vs silent 0.040 ± 0.054,
paired +0.036 ± 0.043 — it learns to hold back but does not separate from silence: one seat
among fixed co-players has little state-dependent to learn (docs/guides/other-libraries.md).
``examples/sb3_batched.py`` trains every seat and wins.

    OMP_NUM_THREADS=1 python examples/sb3_single_agent.py --total-timesteps 20000
"""

from __future__ import annotations

import os
from dataclasses import dataclass

os.environ.setdefault("OMP_NUM_THREADS", "1")


@dataclass
class Args:
    total_timesteps: int = 12_000
    """environment steps of the learner used for training"""
    n_steps: int = 512
    """PPO rollout length per update"""
    learning_rate: float = 1e-3
    """Adam learning rate"""
    seed: int = 0
    """seed of the training env (via reset(seed=)) and of PPO's networks (set_random_seed)"""
    eval_episodes: int = 1000
    """evaluation episodes; seeds 10_000.. are never used in training"""
    cost_weight: float = 3.0
    """λ: weight of billed tokens in the team reward (3: tokens are expensive, so bidding
    indiscriminately costs more than the information it buys)"""
    device: str = "cpu"
    """torch device for PPO (cpu, cuda or auto)"""


def evaluate(act, episodes: int, cost_weight: float) -> list[float]:
    """The learner seat's return in each episode of seeds 10_000 .. 10_000 + episodes - 1."""
    import gymnasium

    import econ_env  # noqa: F401  (registers econ_env/Auction-v0)

    env = gymnasium.make("econ_env/Auction-v0", cost_weight=cost_weight)
    returns = []
    for ep in range(episodes):
        obs, _ = env.reset(seed=10_000 + ep)
        total, done = 0.0, False
        while not done:
            obs, reward, term, trunc, _ = env.step(act(obs))
            total += reward
            done = term or trunc
        returns.append(total)
    return returns


def main(args: Args) -> dict:
    import gymnasium
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.utils import set_random_seed

    import econ_env  # noqa: F401  (registers econ_env/Auction-v0)
    from econ_env import make_policy
    from econ_env_baselines.compare import format_comparison, versus_fixed

    torch.set_num_threads(1)
    set_random_seed(args.seed)
    env = gymnasium.make("econ_env/Auction-v0", cost_weight=args.cost_weight)
    env.reset(seed=args.seed)
    env.action_space.seed(args.seed)
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=args.n_steps,
        batch_size=128,
        learning_rate=args.learning_rate,
        gamma=1.0,
        device=args.device,
        verbose=0,
    )
    model.learn(total_timesteps=args.total_timesteps)
    trained = evaluate(
        lambda o: model.predict(o, deterministic=True)[0], args.eval_episodes, args.cost_weight
    )
    spec = env.unwrapped.env_spec
    fixed = {}  # every fixed bidder of econ_env_baselines in the learner's seat, same seeds
    for name in FIXED:
        policy = make_policy(name, spec, args.seed)
        fixed[name] = evaluate(
            lambda o, p=policy: p.act(o, LEARNER), args.eval_episodes, args.cost_weight
        )
    result = versus_fixed(trained, fixed)
    print(f"learner ({LEARNER}) return over {args.eval_episodes} evaluation episodes:")
    print("\n".join(format_comparison("PPO", result)))
    return {
        "trained": result["learner"][0],
        "random": result["fixed"]["random"][0],
        "comparison": result,
    }


LEARNER = "bidder_0"
"""The seat PPO plays (the single-agent view's default learner)."""

FIXED = ("silent", "truthful", "always", "round_robin", "random")
"""The fixed bidders PPO is compared with in its seat (econ_env_baselines.auction)."""


if __name__ == "__main__":
    from econ_env.cli_args import parse_dataclass_args  # after OMP_NUM_THREADS is set

    main(parse_dataclass_args(Args, description=__doc__.splitlines()[0]))

"""Train one auction_v0 seat with Stable-Baselines3 PPO against truthful co-players.

The learner plays ``bidder_0`` through the Gymnasium single-agent view
(``gymnasium.make("econ_env/Auction-v0")``); the other bidders bid their own confidence. After
training, the learner's mean return over fixed evaluation seeds is compared with a uniformly
random policy in the same seat.

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


def evaluate(act, episodes: int, cost_weight: float) -> float:
    """Mean return of the learner seat over seeds 10_000 .. 10_000 + episodes - 1."""
    import gymnasium

    import econ_env  # noqa: F401  (registers econ_env/Auction-v0)

    env = gymnasium.make("econ_env/Auction-v0", cost_weight=cost_weight)
    total = 0.0
    for ep in range(episodes):
        obs, _ = env.reset(seed=10_000 + ep)
        done = False
        while not done:
            obs, reward, term, trunc, _ = env.step(act(obs))
            total += reward
            done = term or trunc
    return total / episodes


def main(args: Args) -> dict[str, float]:
    import gymnasium
    import numpy as np
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.utils import set_random_seed

    import econ_env  # noqa: F401  (registers econ_env/Auction-v0)

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
    rng = np.random.default_rng(args.seed)
    trained = evaluate(
        lambda o: model.predict(o, deterministic=True)[0], args.eval_episodes, args.cost_weight
    )
    random = evaluate(
        lambda o: rng.uniform(-1, 1, (1,)).astype(np.float32), args.eval_episodes, args.cost_weight
    )
    print(
        f"learner return over {args.eval_episodes} evaluation episodes: "
        f"PPO {trained:.3f} vs random {random:.3f} (difference {trained - random:+.3f})"
    )
    return {"trained": trained, "random": random}


if __name__ == "__main__":
    from econ_env.cli_args import parse_dataclass_args  # after OMP_NUM_THREADS is set

    main(parse_dataclass_args(Args, description=__doc__.splitlines()[0]))

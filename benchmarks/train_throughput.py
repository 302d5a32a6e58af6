"""Training throughput of every trainer in one run: agent steps per second, with ratios.

An *agent step* is one live action of one agent (a bidder's bid in auction_v0, an executor's
belief in debate_v0) applied by the environment during training, counted on the raw env for
the in-process trainers and from the library's own counters for SB3 (``num_timesteps``: one
per agent slot) and RLlib (agent steps sampled). The clock covers the training call only
(collection + updates), not imports or the first env construction. Trainers:

- ``alpha``: α-REINFORCE (:func:`econ_env_agents.dala.alpha.train_alpha`), auction_v0 — the
  reference;
- ``sb3_ppo``: parameter-shared SB3 PPO via SuperSuit (:mod:`econ_env.integrations.sb3`);
- ``mappo``: DALA MAPPO on Tianshou (:func:`econ_env_agents.dala.mappo.train_mappo`);
- ``econ_qmix``: the ECON belief-network / QMIX learner (:func:`econ_env_agents.econ.train_econ`) on
  debate_v0 (its own game: compare its rate with care);
- ``rllib_ppo``: RLlib PPO with a shared policy (only where ray[rllib] is installed).

Each runs on CPU and, when available, on CUDA. A trainer that cannot run prints "not available"
with the reason; no number is ever estimated. Ratios are against ``alpha`` on the same device,
measured in the same run (``--repeats`` interleaves the trainers and reports medians).

    OMP_NUM_THREADS=1 python benchmarks/train_throughput.py [--scale 1.0] [--repeats 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")


class StepCounter:
    """Counts live agent actions on the raw env of every env an ``env_fn`` builds (AEC: one per
    live turn; native parallel: one per live agent of each ``step``)."""

    def __init__(self) -> None:
        self.n = 0

    def wrap(self, env_fn: Callable[[], Any]) -> Callable[[], Any]:
        from pettingzoo import ParallelEnv

        def make() -> Any:
            env = env_fn()
            raw = env.unwrapped
            step = raw.step

            def counted_aec(action: Any) -> None:
                a = raw.agent_selection
                if not (raw.terminations.get(a) or raw.truncations.get(a)):
                    self.n += 1
                step(action)

            def counted_parallel(actions: dict) -> Any:
                self.n += sum(1 for a in actions if a in raw.agents)
                return step(actions)

            # the instance attribute shadows the method for every wrapper
            raw.step = counted_parallel if isinstance(raw, ParallelEnv) else counted_aec
            return env

        return make


def run_alpha(device: str, scale: float) -> tuple[int, float]:
    from econ_env import make_parallel
    from econ_env_agents.dala.alpha import AlphaAgent, AlphaConfig, train_alpha

    counter = StepCounter()
    env = counter.wrap(lambda: make_parallel("auction_v0"))()
    cfg = AlphaConfig(episodes=max(32, int(800 * scale)), device=device)
    agent = AlphaAgent.from_env(env, cfg)
    start = time.perf_counter()
    _, history = train_alpha(env, agent)
    seconds = time.perf_counter() - start
    if history[-1]["steps"] != counter.n:
        raise RuntimeError(f"step counts disagree: {history[-1]['steps']} vs {counter.n}")
    return counter.n, seconds


def run_sb3(device: str, scale: float) -> tuple[int, float]:
    from stable_baselines3 import PPO
    from stable_baselines3.common.utils import set_random_seed

    from econ_env import make_parallel
    from econ_env.integrations.sb3 import make_sb3_vec_env

    set_random_seed(0)
    vec = make_sb3_vec_env(lambda: make_parallel("auction_v0"), n_envs=2, seed=0)
    model = PPO("MlpPolicy", vec, n_steps=256, batch_size=256, gamma=1.0, device=device)
    start = time.perf_counter()
    model.learn(total_timesteps=max(1536, int(4096 * scale)))
    seconds = time.perf_counter() - start
    vec.close()
    return int(model.num_timesteps), seconds


def run_mappo(device: str, scale: float) -> tuple[int, float]:
    from econ_env import make
    from econ_env_agents.dala.mappo import MAPPOConfig, train_mappo

    counter = StepCounter()
    updates = max(1, round(3 * scale))
    cfg = MAPPOConfig(updates=updates, episodes_per_update=32, n_envs=4, device=device)
    start = time.perf_counter()
    train_mappo(counter.wrap(lambda: make("auction_v0")), cfg)
    return counter.n, time.perf_counter() - start


def run_econ(device: str, scale: float) -> tuple[int, float]:
    from econ_env import make_parallel
    from econ_env_agents.econ import ECON_ENV_CONFIG, EconConfig, train_econ

    counter = StepCounter()
    cfg = EconConfig(seed=0, device=device, learning_starts=8, batch_episodes=8)
    make = counter.wrap(lambda: make_parallel("debate_v0", **ECON_ENV_CONFIG))
    start = time.perf_counter()
    train_econ(make, cfg, episodes=max(16, int(80 * scale)))
    return counter.n, time.perf_counter() - start


def run_rllib(device: str, scale: float) -> tuple[int, float]:
    import ray
    from ray.rllib.algorithms.ppo import PPOConfig

    from econ_env.integrations.rllib import env_creator, register_envs, shared_policy_config

    if device != "cpu":
        raise RuntimeError("the RLlib run is CPU-only here (num_gpus_per_learner is not set)")
    if not ray.is_initialized():
        ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    shared = shared_policy_config(env_creator({}), {"fcnet_hiddens": [64, 64]})
    config = (
        PPOConfig()
        .environment(register_envs(), env_config={})
        .env_runners(num_env_runners=0)
        .multi_agent(**shared["multi_agent"])
        .rl_module(**shared["rl_module"])
        .training(train_batch_size=512, minibatch_size=128, num_epochs=4, gamma=1.0)
        .debugging(seed=0)
    )
    algo = config.build_algo()
    start = time.perf_counter()
    result: dict = {}
    for _ in range(max(1, round(2 * scale))):
        result = algo.train()
    seconds = time.perf_counter() - start
    algo.stop()
    steps = result["env_runners"].get("num_agent_steps_sampled_lifetime")
    if isinstance(steps, dict):
        steps = sum(steps.values())
    return int(steps), seconds


TRAINERS: dict[str, tuple[str, Callable[[str, float], tuple[int, float]]]] = {
    "alpha": ("auction_v0", run_alpha),
    "sb3_ppo": ("auction_v0", run_sb3),
    "mappo": ("auction_v0", run_mappo),
    "econ_qmix": ("debate_v0", run_econ),
    "rllib_ppo": ("auction_v0", run_rllib),
}


def main(argv: list[str] | None = None) -> dict[tuple[str, str], float | str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every run's size")
    parser.add_argument("--repeats", type=int, default=1, help="interleaved repeats (median)")
    parser.add_argument("--trainers", default=",".join(TRAINERS), help="comma-separated names")
    parser.add_argument("--devices", default="auto", help="'auto' (cpu + cuda if any) or list")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    names = [n for n in args.trainers.split(",") if n]
    unknown = [n for n in names if n not in TRAINERS]
    if unknown:
        parser.error(f"unknown trainers {unknown}; choose from {sorted(TRAINERS)}")
    if args.devices == "auto":
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    else:
        devices = args.devices.split(",")
    rates: dict[tuple[str, str], list[float]] = {}
    steps: dict[tuple[str, str], int] = {}
    missing: dict[tuple[str, str], str] = {}
    for _ in range(args.repeats):
        for device in devices:
            for name in names:
                key = (name, device)
                if key in missing:
                    continue
                try:
                    n, seconds = TRAINERS[name][1](device, args.scale)
                except (ImportError, RuntimeError) as exc:
                    missing[key] = f"not available: {type(exc).__name__}: {exc}"
                    continue
                rates.setdefault(key, []).append(n / seconds)
                steps[key] = n
    out: dict[tuple[str, str], float | str] = {}
    print(f"\nagent steps/s of training (median of {args.repeats}; scale {args.scale})")
    print(f"{'trainer':<11} {'env':<11} {'device':<7} {'steps':>7} {'steps/s':>9} {'vs alpha':>9}")
    for device in devices:
        ref = rates.get(("alpha", device))
        for name in names:
            key = (name, device)
            env_name = TRAINERS[name][0]
            if key in missing:
                out[key] = missing[key]
                print(f"{name:<11} {env_name:<11} {device:<7} {missing[key]}")
                continue
            rate = statistics.median(rates[key])
            out[key] = rate
            ratio = f"{rate / statistics.median(ref):.3f}x" if ref else "n/a"
            print(f"{name:<11} {env_name:<11} {device:<7} {steps[key]:>7} {rate:>9.0f} {ratio:>9}")
    return out


if __name__ == "__main__":
    main()

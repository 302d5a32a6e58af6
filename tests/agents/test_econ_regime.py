"""The ECON learner beats every fixed belief on debate_v0's ``expert_herding`` regime.

``econ_env.regimes.REGIMES["debate_v0"]["expert_herding"]``: one expert executor among two
novices, where a followed commitment is herding. The learner trains briefly in the text env,
then the greedy executors and every fixed belief (``baselines/debate.py``'s policies and a grid
of constant beliefs, every executor alike) play the same fixed-seed episodes on the batched twin
(:func:`econ_env_agents.econ.evaluate_vector`; 16384 episodes, so the 95% CIs are tight);
the learner's CI must lie above the best fixed belief's. A text-env check on fixed seeds
confirms the learned beliefs are per seat (the expert explores, the novices do not).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from econ_env import debate_v0, vector
from econ_env.regimes import regime_config
from econ_env_agents.econ import (
    ECON_REGIME_SETTINGS,
    EconConfig,
    evaluate_vector,
    train_econ,
)
from econ_env_baselines.debate import DEBATE_POLICIES

torch.set_num_threads(1)

CONFIG = regime_config("debate_v0", "expert_herding")
EVAL_SEED = 123_457
LEVELS = (-1.0, -0.5, 0.0, 0.5, 1.0)


def ci(x: np.ndarray) -> tuple[float, float]:
    """Mean and 95% CI half-width (normal)."""
    return float(x.mean()), 1.96 * float(x.std(ddof=1)) / math.sqrt(len(x))


def fixed_vector(vec, policy) -> np.ndarray:
    """Team returns of ``policy(obs (B, n, d), vec) -> actions`` on every row of ``vec``."""
    vec.autoreset = False
    obs, _ = vec.reset(seed=EVAL_SEED)
    total = torch.zeros(vec.num_envs, dtype=torch.float64)
    while not bool(vec.done.all()):
        obs, reward, _, _, _ = vec.step(policy(obs, vec))
        total += reward.sum(1).double()
    return total.numpy()


def baseline_on_vector(cls):
    """A baselines/debate.py policy, acting row by row through its text-env ``act``."""
    pol = None

    def act(obs, vec):
        nonlocal pol
        if pol is None:
            pol = cls(vec.spec, seed=0)
        out = np.stack(
            [
                np.stack([pol.act(obs[b, i].numpy(), a) for i, a in enumerate(vec.agents)])
                for b in range(vec.num_envs)
            ]
        )
        return torch.as_tensor(out, dtype=torch.float32)

    return act


def constant(temp: float, rep: float):
    def act(obs, vec):
        a = torch.zeros(vec.num_envs, vec.n_agents, vec.config.belief_dim)
        a[..., 0], a[..., 2] = temp, rep
        return a

    return act


TRAIN_EPISODES = 1200
"""Training episodes (text env, seed 0; ~2 minutes of one CPU)."""


@pytest.fixture(scope="module")
def trained():
    make = lambda: debate_v0.parallel_env(**CONFIG)  # noqa: E731
    cfg = EconConfig(seed=0, device="cpu", **ECON_REGIME_SETTINGS)
    agent, _ = train_econ(make, cfg, episodes=TRAIN_EPISODES)
    return agent, make


def test_learner_beats_every_fixed_belief_on_the_batched_twin(trained):
    agent, _ = trained
    vec = vector.debate(num_envs=16384, seed=0, item_pool=512, **CONFIG)
    learner = ci(evaluate_vector(agent, vec, EVAL_SEED))
    results = {
        f"const(t={t},r={r})": ci(fixed_vector(vec, constant(t, r)))
        for t, r in itertools.product(LEVELS, LEVELS)
    }
    small = vector.debate(num_envs=512, seed=0, item_pool=512, **CONFIG)
    for name, cls in DEBATE_POLICIES.items():  # row-by-row numpy policies: fewer episodes
        results[name] = ci(fixed_vector(small, baseline_on_vector(cls)))
    best = max(results, key=lambda k: results[k][0])
    (m, h), (bm, bh) = learner, results[best]
    assert m - h > bm + bh, f"learner {m:.3f}±{h:.3f} vs best fixed {best} {bm:.3f}±{bh:.3f}"


def test_learned_beliefs_are_per_seat_in_the_text_env(trained):
    """The expert (the last executor of ``one_expert``) keeps its own answer (a temperature
    above t_ref: it does not follow the commitment) while the novices stay at the lowest
    temperature (they follow): what no single fixed belief can do."""
    agent, make = trained
    env = make()
    temps = {a: [] for a in env.possible_agents}
    for seed in range(EVAL_SEED, EVAL_SEED + 20):
        agent.reset()
        obs, _ = env.reset(seed=seed)
        while env.agents:
            actions = agent.act(obs)
            for a, b in actions.items():
                temps[a].append(float(b[0]))
            obs, *_ = env.step(actions)
    *novices, expert = env.possible_agents
    assert np.mean(temps[expert]) > 0.0
    for a in novices:
        assert np.mean(temps[a]) < 0.0


def test_train_econ_example_trains_on_a_named_regime():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "train_econ.py"
    spec = importlib.util.spec_from_file_location("train_econ_regime_example", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    args = module.parse_args(["--regime", "expert_herding", "--cost-weight", "9"])
    assert module.env_kwargs(args) == CONFIG  # the regime's config; env flags ignored
    with pytest.raises(ValueError, match="unknown regime 'nope'"):
        module.env_kwargs(module.parse_args(["--regime", "nope"]))

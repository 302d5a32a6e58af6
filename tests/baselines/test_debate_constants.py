"""Constant debate beliefs (econ_env_baselines.debate_constants): text env, batched ranking."""

import numpy as np
import pytest
import torch

from econ_env import debate_v0, vector
from econ_env.regimes import regime_config
from econ_env_agents.econ import evaluate_episodes
from econ_env_baselines.debate import DEBATE_POLICIES
from econ_env_baselines.debate_constants import (
    GRID,
    ConstantBelief,
    best_constants,
    fixed_beliefs,
)

CONFIG = regime_config("debate_v0", "expert_herding")


def test_constant_belief_plays_its_belief_in_every_seat_and_round():
    spec = debate_v0.env_spec(**CONFIG)
    pol = ConstantBelief(spec, temperature=-0.5, repetition=1.0)
    assert pol.name == "const(t=-0.5,r=+1.0)"
    env = debate_v0.parallel_env(**CONFIG)
    obs, _ = env.reset(seed=3)
    seen = 0
    while env.agents:
        actions = {a: pol.act(obs[a], a) for a in env.agents}
        for a, b in actions.items():
            assert env.action_space(a).contains(b)
            assert b[0] == -0.5 and b[2] == 1.0 and not np.delete(b, [0, 2]).any()
            seen += 1
        actions[env.agents[0]][0] = 0.9  # a caller's change does not reach the policy
        obs, *_ = env.step(actions)
    assert seen == 3 * CONFIG["max_rounds"] and pol.belief[0] == -0.5  # every round is played


def test_bad_constants_are_refused_with_the_field_and_range():
    spec = debate_v0.env_spec(**CONFIG)
    with pytest.raises(ValueError, match=r"ConstantBelief\.temperature must lie in \[-1, 1\]"):
        ConstantBelief(spec, temperature=1.5)
    with pytest.raises(ValueError, match=r"ConstantBelief\.repetition"):
        ConstantBelief(spec, repetition=float("nan"))
    with pytest.raises(ValueError, match="continuous belief actions"):
        ConstantBelief(debate_v0.env_spec(action_type="discrete"))
    with pytest.raises(TypeError, match="EnvSpec"):
        ConstantBelief(debate_v0.parallel_env(), temperature=0.0)
    with pytest.raises(ValueError, match=r"k must lie in \[1, 20\]"):
        best_constants(CONFIG, k=0)
    with pytest.raises(ValueError, match="episodes must be at least 1"):
        best_constants(CONFIG, episodes=0)


def _batched_mean(t: float, r: float, episodes: int) -> float:
    env = vector.debate(num_envs=episodes, device="cpu", seed=0, **CONFIG)
    env.autoreset = False
    env.reset(seed=0)
    action = torch.zeros(env.num_envs, env.n_agents, env.config.belief_dim)
    action[..., 0], action[..., 2] = t, r
    total = torch.zeros(env.num_envs, dtype=torch.float64)
    while not bool(env.done.all()):
        total += env.step(action)[1].sum(1)
    return float(total.mean())


def test_best_constants_ranks_the_whole_grid_by_batched_return():
    top = best_constants(CONFIG, k=len(GRID), episodes=256)
    assert sorted((t, r) for t, r, _ in top) == sorted(GRID)
    means = [m for *_, m in top]
    assert means == sorted(means, reverse=True) and means[0] > means[-1] + 0.5
    for t, r, m in (top[0], top[-1]):  # each mean is that constant's own play
        assert m == pytest.approx(_batched_mean(t, r, 256))
    assert best_constants(CONFIG, k=2, episodes=256) == top[:2]
    # expert_herding: a repetition penalty shortens answers, so the best constants use it
    assert top[0][1] == 1.0


def test_the_batched_ranking_carries_over_to_the_text_env():
    """The best constant of the batched ranking beats the worst in the text env too."""
    top = best_constants(CONFIG, k=len(GRID), episodes=1024)
    spec = debate_v0.env_spec(**CONFIG)
    make = lambda: debate_v0.parallel_env(**CONFIG)  # noqa: E731
    seeds = range(20_000, 20_200)
    best, worst = (
        evaluate_episodes(ConstantBelief(spec, temperature=t, repetition=r), make, seeds)[:, 0]
        for t, r, _ in (top[0], top[-1])
    )
    diff = best - worst
    assert diff.mean() - 1.96 * diff.std(ddof=1) / np.sqrt(len(diff)) > 0


def test_fixed_beliefs_are_the_named_policies_and_the_best_constants():
    fixed = fixed_beliefs(CONFIG, constants=2, seed=0)
    constants = [p for p in fixed.values() if isinstance(p, ConstantBelief)]
    assert set(fixed) - {p.name for p in constants} == set(DEBATE_POLICIES)
    top = best_constants(CONFIG, k=2, seed=0)
    assert [(p.temperature, p.repetition) for p in constants] == [(t, r) for t, r, _ in top]
    assert all(fixed[name].name == name for name in fixed)
    assert set(fixed_beliefs(CONFIG, constants=0)) == set(DEBATE_POLICIES)
    discrete = fixed_beliefs({"action_type": "discrete"}, constants=3)  # no constants there
    assert set(discrete) == set(DEBATE_POLICIES)

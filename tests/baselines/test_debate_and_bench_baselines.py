"""Debate belief baselines act validly; every bench baseline runs on both envs."""

import numpy as np
import pytest

import econ_env
from econ_env_baselines import BENCH_BASELINES, DEBATE_POLICIES, make_policy, resolve


@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
@pytest.mark.parametrize("name", sorted(DEBATE_POLICIES))
def test_debate_policies_give_valid_actions(name, action_type):
    env = econ_env.debate_v0.env(action_type=action_type, embedder="hashed", early_stop=False)
    policy = make_policy(name, env, seed=0)
    env.reset(seed=0)
    for agent in env.agent_iter():
        obs, _, term, trunc, _ = env.last()
        if term or trunc:
            env.step(None)
            continue
        action = policy.act(obs, agent)
        space = env.action_space(agent)
        assert space.contains(np.asarray(action, dtype=space.dtype))
        env.step(action)


def test_round_robin_belief_rotates_the_explorer():
    env = econ_env.debate_v0.env(embedder="hashed", early_stop=False, max_rounds=3)
    policy = make_policy("round_robin", env)
    env.reset(seed=1)
    for agent in env.agent_iter():
        obs, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else policy.act(obs, agent))
    hot = [int(np.argmax(r.beliefs[:, 0])) for r in env.unwrapped.game.history]
    assert hot == [0, 1, 2]


def test_truthful_belief_follows_when_agreeing():
    env = econ_env.debate_v0.env(embedder="hashed", early_stop=False, max_rounds=2)
    policy = make_policy("truthful", env)
    env.reset(seed=3)
    for agent in env.agent_iter():
        obs, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else policy.act(obs, agent))
    first, second = env.unwrapped.game.history
    assert np.all(first.beliefs[:, 0] == 0.0)
    for i, answer in enumerate(first.answers):
        agrees = answer is not None and answer == first.commitment_answer
        assert second.beliefs[i, 0] == pytest.approx(-0.8 if agrees else 0.8)


@pytest.mark.parametrize("env_name", ["auction_v0", "debate_v0"])
@pytest.mark.parametrize("name", sorted(BENCH_BASELINES))
def test_every_bench_baseline_runs_on_both_envs(name, env_name):
    case = (
        {"n_agents": 3}
        if env_name == "auction_v0"
        else {"n_agents": 4, "groups": 2, "embedder": "hashed"}
    )
    factory, overrides = resolve(name, env_name, case)
    module = getattr(econ_env, env_name)
    env = module.env(**{**case, **overrides})
    policy = factory(env, 0)
    for seed in range(3):
        env.reset(seed=seed)
        for agent in env.agent_iter():
            obs, _, term, trunc, info = env.last()
            env.step(None if term or trunc else policy.act(obs, agent))
        assert info["stop_reason"] and info["generated_tokens"] > 0
    if name == "single_cot":
        assert env.unwrapped.config.n_agents == 1
    if name == "mad" and env_name == "auction_v0":
        assert env.unwrapped.config.top_k == 3
    if name == "self_consistency" and env_name == "auction_v0":
        assert info["billed_tokens"] == 0


def test_resolve_passes_other_specs_through():
    factory, overrides = resolve("baselines.auction:TruthfulBidder", "auction_v0")
    assert overrides == {} and factory(econ_env.auction_v0.env(), 0).name == "truthful"
    with pytest.raises(ValueError, match=r"unknown policy 'nope'.*single_cot.*neutral"):
        resolve("nope", "debate_v0")

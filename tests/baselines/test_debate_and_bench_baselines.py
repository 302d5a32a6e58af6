"""Debate belief baselines act validly; every bench baseline runs on both envs."""

import numpy as np
import pytest

import econ_env
from econ_env.bench.baselines import BENCH_BASELINES, overrides_of, resolve
from econ_env.core.rollout import play_episode
from econ_env.envs.observe import stop_reason_of
from econ_env_baselines import DEBATE_POLICIES


@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
@pytest.mark.parametrize("name", sorted(DEBATE_POLICIES))
def test_debate_policies_give_valid_actions(name, action_type):
    env = econ_env.make("debate_v0", action_type=action_type, embedder="hashed", early_stop=False)
    policy = econ_env.make_policy(name, env.unwrapped.env_spec, seed=0)
    assert isinstance(policy, DEBATE_POLICIES[name])

    def act(obs, agent):
        action = policy.act(obs, agent)
        space = env.action_space(agent)
        assert space.contains(np.asarray(action, dtype=space.dtype))
        return action

    assert play_episode(env, act, seed=0).actions > 0


def test_every_debate_baseline_is_registered():
    assert set(DEBATE_POLICIES) <= set(econ_env.list_policies("debate_v0"))


def test_round_robin_belief_rotates_the_explorer():
    env = econ_env.make("debate_v0", embedder="hashed", early_stop=False, max_rounds=3)
    policy = econ_env.make_policy("round_robin", env.unwrapped.env_spec)
    play_episode(env, policy.act, seed=1)
    hot = [int(np.argmax(r.beliefs[:, 0])) for r in env.unwrapped.game.history]
    assert hot == [0, 1, 2]


def test_truthful_belief_follows_when_agreeing():
    env = econ_env.make("debate_v0", embedder="hashed", early_stop=False, max_rounds=2)
    policy = econ_env.make_policy("truthful", env.unwrapped.env_spec)
    play_episode(env, policy.act, seed=3)
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
    assert overrides == overrides_of(name, env_name, case)
    env = econ_env.make(env_name, **{**case, **overrides})
    policy = factory(env.unwrapped.env_spec, 0)
    for seed in range(3):
        info = play_episode(env, policy.act, seed=seed).info
        assert stop_reason_of(info["stop_code"]) and info["generated_tokens"] > 0
    if name == "single_cot":
        assert env.unwrapped.config.n_agents == 1
    if name == "mad" and env_name == "auction_v0":
        assert env.unwrapped.config.top_k == 3
    if name == "self_consistency" and env_name == "auction_v0":
        assert info["billed_tokens"] == 0


def test_resolve_passes_other_specs_through():
    factory, overrides = resolve("econ_env_baselines.auction:TruthfulBidder", "auction_v0")
    assert overrides == {}
    assert factory(econ_env.env_spec("auction_v0"), 0).name == "truthful"
    with pytest.raises(ValueError, match=r"unknown policy 'nope'.*single_cot.*neutral"):
        resolve("nope", "debate_v0")


def test_overrides_of_never_imports_a_module_class_name():
    # verify calls it on untrusted metadata: a module:Class name has no overrides and is not
    # imported (a module that does not exist would raise if it were)
    assert overrides_of("no_such_module_xyz:Evil", "auction_v0", {}) == {}

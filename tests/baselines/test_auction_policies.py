"""Baseline policies produce valid actions and behave as documented; each is built from the
env's public spec (``econ_env.make_policy(name, spec)``), never from the env."""

import numpy as np
import pytest

import econ_env
from econ_env.bench.evaluate import evaluate
from econ_env.core.rollout import play_episode
from econ_env_baselines import POLICIES, TruthfulBidder


@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policies_give_valid_actions(name, action_type):
    env = econ_env.make("auction_v0", action_type=action_type, stop_on_consensus=False)
    policy = econ_env.make_policy(name, env.unwrapped.env_spec, seed=0)
    assert isinstance(policy, POLICIES[name])

    def act(obs, agent):
        action = policy.act(obs, agent)
        space = env.action_space(agent)
        assert space.contains(np.asarray(action, dtype=space.dtype))
        return action

    assert play_episode(env, act, seed=0).actions > 0


def test_every_auction_baseline_is_registered():
    assert set(POLICIES) <= set(econ_env.list_policies("auction_v0"))


def test_unknown_policy_lists_names():
    with pytest.raises(ValueError, match="truthful"):
        econ_env.make_policy("nope", econ_env.env_spec("auction_v0"))


def test_a_baseline_refuses_the_env_object():
    with pytest.raises(TypeError, match="EnvSpec"):
        TruthfulBidder(econ_env.make("auction_v0"), seed=0)


def test_a_spec_built_policy_acts_like_one_built_from_the_env_spec():
    cfg = {"n_agents": 4, "action_type": "discrete", "mechanism": "vcg", "top_k": 2}
    env = econ_env.make("auction_v0", **cfg)
    a = TruthfulBidder(econ_env.env_spec("auction_v0", **cfg), seed=0)
    b = econ_env.make_policy("truthful", env.unwrapped.env_spec)
    acts_a, acts_b = [], []
    play_episode(env, lambda o, g: acts_a.append(a.act(o, g)) or acts_a[-1], seed=4)
    play_episode(env, lambda o, g: acts_b.append(b.act(o, g)) or acts_b[-1], seed=4)
    assert acts_a == acts_b and acts_a


def test_silent_bills_nothing_and_everyone_bidding_bills_more_than_one_bidder():
    def env_fn():
        return econ_env.make("auction_v0", stop_on_consensus=False, budget=10**6)

    res = {
        n: evaluate(
            env_fn,
            lambda spec, s, n=n: econ_env.make_policy(n, spec, s),
            name=n,
            episodes=20,
            progress=False,
        )
        for n in ("silent", "round_robin", "always")
    }
    assert res["silent"].billed_tokens == 0
    assert res["silent"].generated_tokens > 0
    # each round: every bidder's prompt + one message, against one bid prompt + one message
    assert res["always"].billed_tokens > res["round_robin"].billed_tokens > 0


def test_round_robin_speaker_rotates():
    env = econ_env.make("auction_v0", stop_on_consensus=False, max_rounds=3)
    policy = econ_env.make_policy("round_robin", env.unwrapped.env_spec)
    play_episode(env, policy.act, seed=1)
    assert [r.winners for r in env.unwrapped.game.history] == [(0,), (1,), (2,)]

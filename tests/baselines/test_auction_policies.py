"""Baseline policies produce valid actions and behave as documented."""

import numpy as np
import pytest

import econ_env
from econ_env.bench.evaluate import evaluate
from econ_env_baselines import POLICIES, make_policy


@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policies_give_valid_actions(name, action_type):
    env = econ_env.auction_v0.env(action_type=action_type, stop_on_consensus=False)
    policy = make_policy(name, env, seed=0)
    env.reset(seed=0)
    for agent in env.agent_iter():
        obs, _, term, trunc, _ = env.last()
        if term or trunc:
            env.step(None)
            continue
        action = policy.act(obs, agent)
        assert env.action_space(agent).contains(
            np.asarray(action, dtype=env.action_space(agent).dtype)
        )
        env.step(action)


def test_unknown_policy_lists_names():
    with pytest.raises(ValueError, match="truthful"):
        make_policy("nope", econ_env.auction_v0.env())


def test_silent_bills_nothing_and_everyone_bidding_bills_more_than_one_bidder():
    def env_fn():
        return econ_env.auction_v0.env(stop_on_consensus=False, budget=10**6)

    res = {
        n: evaluate(
            env_fn, lambda e, s, n=n: make_policy(n, e, s), name=n, episodes=20, progress=False
        )
        for n in ("silent", "round_robin", "always")
    }
    assert res["silent"].billed_tokens == 0
    assert res["silent"].generated_tokens > 0
    # each round: every bidder's prompt + one message, against one bid prompt + one message
    assert res["always"].billed_tokens > res["round_robin"].billed_tokens > 0


def test_round_robin_speaker_rotates():
    env = econ_env.auction_v0.env(stop_on_consensus=False, max_rounds=3)
    policy = make_policy("round_robin", env)
    env.reset(seed=1)
    for agent in env.agent_iter():
        obs, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else policy.act(obs, agent))
    assert [r.winners for r in env.unwrapped.game.history] == [(0,), (1,), (2,)]

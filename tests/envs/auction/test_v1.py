"""auction_v1: auction_v0 with one expert among novices by default, where a state-dependent
policy beats every fixed one (measured on the batched twin)."""

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import econ_env
from econ_env import auction_v0, auction_v1
from econ_env_baselines.vector import FIXED, BatchedBidders, evaluate

torch.set_num_threads(1)
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))


def test_v1_is_v0_with_one_expert_by_default(episode):
    v1 = auction_v1.parallel_env()
    assert v1.metadata["name"] == "auction_v1" and v1.unwrapped.config.team == "one_expert"
    assert v1.unwrapped.env_spec.env == "auction_v1"
    assert auction_v1.env_spec() == v1.unwrapped.env_spec
    for seed in (0, 1, 2):
        assert episode(v1, seed) == episode(auction_v0.parallel_env(team="one_expert"), seed)
    # and auction_v0's equal bidders are one keyword away
    assert episode(auction_v1.parallel_env(team=None), 3) == episode(auction_v0.parallel_env(), 3)


def test_v1_factories_pickle_and_keep_the_version():
    env = auction_v1.parallel_env(budget=1024)
    copy = pickle.loads(pickle.dumps(env))
    assert type(copy) is type(env) and copy.unwrapped.config.team == "one_expert"
    assert copy.unwrapped.config.budget == 1024
    aec = auction_v1.env()
    assert econ_env.registry.env_name_of(aec) == "auction_v1"
    assert econ_env.make_policy("silent", auction_v1.env_spec()).act is not None


def test_v1_batched_twin_has_the_same_defaults():
    vec = econ_env.make_vector("auction_v1", num_envs=8, seed=0)
    assert vec.config.team == "one_expert" and vec.spec.env == "auction_v1"
    assert vec.spec.observation_space == auction_v1.env_spec().observation_space


def test_at_v1_defaults_a_state_dependent_rule_beats_every_fixed_policy():
    from regime_map import seat_rule

    env = econ_env.make_vector("auction_v1", num_envs=4096, seed=3, item_pool=4096)
    bidders = BatchedBidders(env, 3)
    fixed = {name: evaluate(env, bidders.fixed(name), 3) for name in FIXED}
    best = max(fixed, key=lambda n: fixed[n]["team_return"])
    rule = evaluate(env, seat_rule(bidders, env.n_agents - 1), 3)
    gap = rule["team_return"] - fixed[best]["team_return"]
    se = np.hypot(rule["team_return_se"], fixed[best]["team_return_se"])
    print(
        f"expert-speaks rule {rule['team_return']:.3f} vs {best} {fixed[best]['team_return']:.3f}"
    )
    assert gap > 0.1 and gap > 5 * se


def test_the_same_rule_does_not_beat_silence_at_v0_defaults():
    """The reason for v1: at v0's equal bidders the rule loses to silence."""
    from regime_map import seat_rule

    env = econ_env.make_vector("auction_v0", num_envs=4096, seed=3, item_pool=4096)
    bidders = BatchedBidders(env, 3)
    silent = evaluate(env, bidders.fixed("silent"), 3)["team_return"]
    rule = evaluate(env, seat_rule(bidders, env.n_agents - 1), 3)["team_return"]
    assert rule < silent


@pytest.mark.parametrize("kw", [{"team": "spread"}, {"n_agents": 4}])
def test_v1_accepts_every_v0_keyword(kw):
    env = auction_v1.parallel_env(**kw)
    obs, _ = env.reset(seed=0)
    assert all(env.observation_space(a).contains(o) for a, o in obs.items())

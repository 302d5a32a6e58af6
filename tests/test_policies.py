"""The policy registry: entry points, run-time registration, module:Class, built from specs."""

import numpy as np
import pytest

import econ_env
from econ_env import policies
from econ_env.core.spec import EnvSpec


class SpecOnly:
    """A policy that checks it is given an EnvSpec and nothing else."""

    def __init__(self, spec, seed=0):
        assert isinstance(spec, EnvSpec), type(spec)
        self.spec, self.seed = spec, seed

    def act(self, obs, agent):
        return np.full(self.spec.action_space.shape, -1.0, np.float32)


@pytest.fixture
def clean_registry():
    saved = dict(policies._registered)
    yield
    policies._registered.clear()
    policies._registered.update(saved)


def test_baselines_are_found_through_entry_points():
    assert set(econ_env.list_policies("auction_v0")) >= {
        "always",
        "random",
        "round_robin",
        "silent",
        "truthful",
    }
    assert "neutral" in econ_env.list_policies("debate_v0")
    ep = policies._discovered()["auction_v0", "truthful"]
    assert ep.value == "econ_env_baselines.auction:TruthfulBidder"
    policy = econ_env.make_policy("truthful", econ_env.env_spec("auction_v0"), seed=1)
    assert type(policy).__module__ == "econ_env_baselines.auction"


def test_policies_are_built_from_a_spec_never_from_an_env():
    env = econ_env.make("auction_v0")
    with pytest.raises(TypeError, match="built from an EnvSpec"):
        econ_env.make_policy("truthful", env)
    from econ_env_baselines import TruthfulBidder

    with pytest.raises(TypeError, match="built from an EnvSpec"):
        TruthfulBidder(env)


def test_module_class_specs_and_run_time_registration(clean_registry):
    spec = econ_env.env_spec("auction_v0")
    policy = econ_env.make_policy(f"{__name__}:SpecOnly", spec, seed=4)
    assert isinstance(policy, SpecOnly) and policy.seed == 4
    econ_env.register_policy("auction_v0", "spec_only", SpecOnly)
    assert "spec_only" in econ_env.list_policies("auction_v0")
    assert "spec_only" not in econ_env.list_policies("debate_v0")
    assert isinstance(econ_env.make_policy("spec_only", spec), SpecOnly)
    econ_env.register_policy("auction_v0", "spec_only", SpecOnly)  # same factory: no-op
    with pytest.raises(ValueError, match="already registered"):
        econ_env.register_policy("auction_v0", "spec_only", lambda spec, seed=0: None)


def test_unknown_names_list_the_choices():
    spec = econ_env.env_spec("debate_v0")
    with pytest.raises(ValueError, match=r"unknown policy 'silent' for debate_v0.*'neutral'"):
        econ_env.make_policy("silent", spec)
    with pytest.raises(ValueError, match="cannot load 'no_such_module:X'"):
        econ_env.make_policy("no_such_module:X", spec)
    with pytest.raises(ValueError, match="must be a non-empty string"):
        policies.policy_factory("", "auction_v0")


def test_bad_registrations_are_refused():
    with pytest.raises(ValueError, match="without ':'"):
        econ_env.register_policy("auction_v0", "a:b", SpecOnly)
    with pytest.raises(ValueError, match="must be callable"):
        econ_env.register_policy("auction_v0", "x", 3)
    with pytest.raises(ValueError, match=r"without '\.'"):
        econ_env.register_policy("auction.v0", "x", SpecOnly)


def test_a_factory_building_something_without_act_is_refused(clean_registry):
    econ_env.register_policy("auction_v0", "broken", lambda spec, seed=0: object())
    with pytest.raises(ValueError, match="without act"):
        econ_env.make_policy("broken", econ_env.env_spec("auction_v0"))


@pytest.mark.parametrize("name", ["auction_v0", "debate_v0"])
def test_every_registered_policy_plays_an_episode_from_its_spec(name):
    from econ_env.core.rollout import play_episode

    for config in ({}, {"action_type": "discrete"}):
        env = econ_env.make(name, **config)
        for policy_name in econ_env.list_policies(name):
            policy = econ_env.make_policy(policy_name, env.unwrapped.env_spec, seed=0)
            result = play_episode(env, policy.act, seed=2)
            assert result.actions >= len(env.possible_agents)

"""The global state (``state()`` / ``state_space``) of auction_v0 and debate_v0 (AEC, parallel)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pettingzoo.test import state_test

from econ_env import auction_v0, debate_v0

ENVS = {
    "auction": (auction_v0, {}),
    "auction_discrete": (auction_v0, {"action_type": "discrete", "invalid_action": "silence"}),
    "debate": (debate_v0, {"embedder": "hashed"}),
}


def _play(module, kwargs, seed, action_seed, check):
    """Play one episode with seeded random actions; ``check(env)`` after reset and every step."""
    env = module.env(**kwargs)
    env.reset(seed=seed)
    rng = np.random.default_rng(action_seed)
    states = [env.state()]
    check(env)
    for agent in env.agent_iter(200):
        _, _, term, trunc, _ = env.last()
        space = env.action_space(agent)
        if term or trunc:
            action = None
        elif hasattr(space, "n"):
            action = int(rng.integers(0, space.n))
        else:
            action = rng.uniform(-1.0, 1.0, space.shape).astype(np.float32)
        env.step(action)
        check(env)
        states.append(env.state())
    return states


def _in_space(env):
    state = env.state()
    assert state.dtype == np.float32
    assert env.state_space.contains(state)
    assert env.state_space is env.unwrapped.state_space


@settings(max_examples=25)
@given(
    name=st.sampled_from(sorted(ENVS)),
    n=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    action_seed=st.integers(0, 2**16),
)
def test_state_in_space_after_every_step(name, n, seed, action_seed):
    module, kwargs = ENVS[name]
    _play(module, {**kwargs, "n_agents": n}, seed, action_seed, _in_space)


@pytest.mark.parametrize("name", sorted(ENVS))
def test_same_seed_same_states(name):
    module, kwargs = ENVS[name]
    a = _play(module, kwargs, 7, 3, lambda env: None)
    b = _play(module, kwargs, 7, 3, lambda env: None)
    assert len(a) == len(b) > 1
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", sorted(ENVS))
def test_state_is_observations_concatenated(name):
    module, kwargs = ENVS[name]
    env = module.env(**kwargs)
    env.reset(seed=1)
    vecs = []
    for a in env.possible_agents:
        obs = env.observe(a)
        vecs.append(obs["observation"] if isinstance(obs, dict) else obs)
    np.testing.assert_array_equal(env.state(), np.concatenate(vecs))
    assert env.state_space.shape == (len(env.possible_agents) * vecs[0].shape[0],)
    state = env.state()
    state[:] = 5.0  # a copy: mutating it does not touch the env
    assert env.state_space.contains(env.state())


def test_state_before_reset_is_an_error():
    with pytest.raises(RuntimeError, match="before reset"):
        auction_v0.raw_env().state()


@pytest.mark.parametrize("name", sorted(ENVS))
def test_pettingzoo_state_test(name):
    module, kwargs = ENVS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PettingZoo's checker only warns on most defects
        state_test(module.env(**kwargs), module.parallel_env(**kwargs), num_cycles=10)


@pytest.mark.parametrize("name", sorted(ENVS))
def test_parallel_state_matches_aec(name):
    module, kwargs = ENVS[name]
    par = module.parallel_env(**kwargs)
    par.reset(seed=4)
    assert par.state_space is par.state_space
    assert par.state_space == module.env(**kwargs).unwrapped.state_space
    assert par.state_space.contains(par.state())
    actions = {a: par.action_space(a).sample() for a in par.agents}
    if "action_mask" in str(par.observation_space(par.agents[0])):
        actions = dict.fromkeys(par.agents, 0)
    par.step(actions)
    assert par.state_space.contains(par.state())

"""The native parallel envs: the same episodes as PettingZoo's aec_to_parallel of the AEC env,
and a step that raises applies nothing and can be retried."""

import numpy as np
import pytest
from pettingzoo.utils.conversions import aec_to_parallel

import econ_env
from econ_env.envs.observe import stop_reason_of
from econ_env.llm.base import BackendUnavailable
from econ_env.llm.simulated import SimulatedBackend
from econ_env.registry import make_raw

CASES = [
    ("auction_v0", {}),
    ("auction_v0", {"n_agents": 4, "mechanism": "vcg", "top_k": 2, "action_type": "discrete"}),
    ("auction_v0", {"mechanism": "first_price", "reward_mode": "individual", "belief_dim": 2}),
    ("auction_v0", {"budget": 300}),
    ("debate_v0", {"embedder": "hashed"}),
    ("debate_v0", {"n_agents": 4, "groups": 2, "action_type": "discrete", "embedder": "hashed"}),
    ("debate_v0", {"budget": 500, "embedder": "hashed"}),
]


def _plain(x):
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def _episode(env, seed):
    """Every (observations, rewards, terminations, truncations, infos) of one seeded episode
    with seeded random actions (masks respected)."""
    obs, infos = env.reset(seed=seed)
    out = [(_plain(obs), _plain(infos), list(env.agents))]
    rng = np.random.default_rng(seed)
    while env.agents:
        actions = {}
        for a in env.agents:
            space = env.action_space(a)
            space.seed(int(rng.integers(2**31)))
            mask = obs[a].get("action_mask") if isinstance(obs[a], dict) else None
            actions[a] = space.sample(mask)
        obs, rew, term, trunc, infos = env.step(actions)
        out.append((_plain(obs), dict(rew), term, trunc, _plain(infos), list(env.agents)))
        out.append(env.state().tolist())
    return out


@pytest.mark.parametrize(("name", "config"), CASES)
def test_native_parallel_equals_aec_to_parallel(name, config):
    native = econ_env.make_parallel(name, **config)
    wrapped = aec_to_parallel(make_raw(name, **config))
    for seed in range(12):
        assert _episode(native, seed) == _episode(wrapped, seed), f"seed {seed}"


@pytest.mark.parametrize("name", ["auction_v0", "debate_v0"])
def test_parallel_spaces_state_and_spec_match_the_aec_env(name):
    par, aec = econ_env.make_parallel(name), econ_env.make(name)
    assert par.possible_agents == aec.possible_agents
    for a in par.possible_agents:
        assert par.observation_space(a) is par.observation_space(a)
        assert par.observation_space(a) == aec.observation_space(a)
        assert par.action_space(a) == aec.action_space(a)
    assert par.state_space == aec.unwrapped.state_space
    assert par.unwrapped is par and par.env_spec == econ_env.env_spec(name)


@pytest.mark.parametrize("name", ["auction_v0", "debate_v0"])
def test_an_invalid_action_of_any_agent_applies_nothing(name):
    env = econ_env.make_parallel(name)
    env.reset(seed=3)
    good = {a: env.action_space(a).sample() for a in env.agents}
    bad = dict(good)
    last = env.agents[-1]
    bad[last] = np.full(env.action_space(last).shape, np.nan, dtype=np.float32)
    ledger = env.unwrapped.game.ledger.to_records()
    rng_state = env.np_random.bit_generator.state
    with pytest.raises(ValueError, match=last):
        env.step(bad)
    with pytest.raises(ValueError, match="missing"):
        env.step({a: good[a] for a in env.agents[:-1]})
    with pytest.raises(ValueError, match="unknown"):
        env.step({**good, "nobody": good[last]})
    assert env.unwrapped.game.ledger.to_records() == ledger
    assert env.np_random.bit_generator.state == rng_state
    assert env.agents == env.possible_agents


class Outage:
    """The simulated backend with an outage on chosen calls."""

    name = "outage"

    def __init__(self, fail_on: set[int]):
        self.inner, self.fail_on, self.calls = SimulatedBackend(), set(fail_on), 0

    def generate(self, requests):
        self.calls += 1
        if self.calls in self.fail_on:
            self.fail_on.discard(self.calls)
            raise BackendUnavailable("outage://", f"call {self.calls}")
        return self.inner.generate(requests)


@pytest.mark.parametrize(
    ("name", "config", "fail_on"),
    [
        ("auction_v0", {"stop_on_consensus": False, "max_rounds": 3}, {2, 4}),
        ("debate_v0", {"embedder": "hashed", "early_stop": False, "groups": 1}, {2, 5}),
        ("debate_v0", {"embedder": "hashed", "early_stop": False, "n_agents": 4, "groups": 2},
         {3}),
    ],
)  # fmt: skip
def test_a_failed_step_retried_gives_the_uninterrupted_episode(name, config, fail_on):
    def run(backend):
        env = econ_env.make_parallel(name, backend=backend, **config)
        obs, _ = env.reset(seed=11)
        rng = np.random.default_rng(0)
        views = []
        while env.agents:
            actions = {}
            for a in env.agents:
                env.action_space(a).seed(int(rng.integers(2**31)))
                actions[a] = env.action_space(a).sample()
            while True:
                try:
                    obs, rew, term, trunc, infos = env.step(actions)
                    break
                except BackendUnavailable:
                    continue
            views.append((_plain(obs), rew, term, trunc, _plain(infos)))
        return views, env.unwrapped.game.ledger.to_records()

    flaky = Outage(fail_on)
    assert run(flaky) == run(SimulatedBackend())
    assert not flaky.fail_on  # every scheduled outage happened


def test_a_game_over_at_reset_leaves_no_live_agents():
    env = econ_env.make_parallel("debate_v0", budget=5, embedder="hashed")
    obs, infos = env.reset(seed=0)
    assert env.agents == [] and obs == {}
    assert stop_reason_of(infos["executor_0"]["stop_code"]) == "budget_exhausted"
    assert env.step({}) == ({}, {}, {}, {}, {})

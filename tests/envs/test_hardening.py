"""What a careless user or a vectorised library does to the envs: tiny budgets, failed resets,
numpy numbers and huge sizes in configs, stacking infos into arrays, serialising factories and
deep-copying an env mid-episode."""

from __future__ import annotations

import copy
import pickle

import cloudpickle
import gymnasium
import numpy as np
import pytest

import econ_env
from econ_env import auction_v0, debate_v0
from econ_env.envs.observe import STOP_REASONS, stop_code, stop_reason_of
from econ_env.llm.base import BackendUnavailable
from econ_env.llm.simulated import SimulatedBackend

ENVS = {"auction_v0": auction_v0, "debate_v0": debate_v0}
LONG = {  # configs whose episodes run several rounds
    "auction_v0": {"stop_on_consensus": False, "max_rounds": 4},
    "debate_v0": {"early_stop": False, "max_rounds": 4, "embedder": "hashed"},
}
NUMERIC = (bool, int, float, np.integer, np.floating, np.bool_, np.ndarray)


def sample(env, agent, obs, rng):
    """A random action that respects the mask, from a generator the test owns."""
    space = env.action_space(agent)
    if isinstance(space, gymnasium.spaces.Discrete):
        mask = obs["action_mask"] if isinstance(obs, dict) else np.ones(space.n, np.int8)
        return int(rng.choice(np.flatnonzero(mask)))
    return rng.uniform(-1.0, 1.0, space.shape).astype(np.float32)


# ----------------------------------------------------------------------- tiny budgets
@pytest.mark.parametrize("budget", [1, 10, 50])
def test_a_debate_budget_too_small_for_one_round_ends_at_reset_with_no_agents(budget):
    par = debate_v0.parallel_env(budget=budget, embedder="hashed")
    obs, infos = par.reset(seed=0)
    assert par.agents == [] and obs == {}
    steps = 0
    while par.agents:  # the loop every PettingZoo tutorial writes ends at once
        par.step({a: par.action_space(a).sample() for a in par.agents})
        steps += 1
    assert steps == 0
    info = infos["executor_0"]
    assert info["game_over"] and stop_reason_of(info["stop_code"]) == "budget_exhausted"
    assert info["billed_tokens"] <= budget and info["round"] == 0

    aec = debate_v0.env(budget=budget, embedder="hashed")
    aec.reset(seed=0)
    dead_steps = 0
    for _agent in aec.agent_iter():
        _, _, term, trunc, _ = aec.last()
        assert term and not trunc  # a termination: every agent takes its None step
        aec.step(None)
        dead_steps += 1
    assert dead_steps == 3 and aec.agents == []


# ----------------------------------------------------------------------- failed reset
class DownOnFirstCall:
    """The simulated backend, unreachable on its first call."""

    name = "flaky"

    def __init__(self) -> None:
        self.inner, self.calls = SimulatedBackend(), 0

    def generate(self, requests):
        self.calls += 1
        if self.calls == 1:
            raise BackendUnavailable("http://127.0.0.1:9", "connection refused")
        return self.inner.generate(requests)


@pytest.mark.parametrize("name", sorted(ENVS))
@pytest.mark.parametrize("api", ["aec", "parallel"])
def test_a_failed_reset_makes_step_ask_for_a_reset(name, api):
    cfg = {"embedder": "hashed"} if name == "debate_v0" else {}
    make = ENVS[name].raw_env if api == "aec" else ENVS[name].parallel_env
    env = make(backend=DownOnFirstCall(), **cfg)
    with pytest.raises(BackendUnavailable):
        env.reset(seed=0)
    action = env.action_space(env.possible_agents[0]).sample()
    step_arg = action if api == "aec" else {a: action for a in env.possible_agents}
    with pytest.raises(RuntimeError, match=rf"{name}: step\(\) needs a successful reset\(\); "
                       r"the last reset\(\) raised BackendUnavailable"):  # fmt: skip
        env.step(step_arg)
    with pytest.raises(RuntimeError, match="needs a successful reset"):
        env.text_info(env.possible_agents[0])
    env.reset(seed=0)  # the backend is back: the env works again
    env.step(step_arg)


@pytest.mark.parametrize("name", sorted(ENVS))
def test_step_before_any_reset_is_a_clear_error(name):
    env = (
        ENVS[name].parallel_env(embedder="hashed")
        if name == "debate_v0"
        else auction_v0.parallel_env()
    )
    with pytest.raises(RuntimeError, match=r"reset\(\) has not been called"):
        env.step({})


# ----------------------------------------------------------------------- configs
@pytest.mark.parametrize("name", sorted(ENVS))
def test_configs_accept_numpy_numbers_as_plain_numbers(name):
    kw = {"n_agents": np.int64(4), "budget": np.int32(3000), "max_rounds": np.int16(3),
          "cost_weight": np.float32(0.5)}  # fmt: skip
    if name == "debate_v0":
        kw.update(groups=np.int8(2), epsilon=np.float64(0.1), embedder="hashed")
    else:
        kw.update(top_k=np.uint8(1), reserve=np.float16(0.25), stop_on_consensus=np.bool_(False))
    env = ENVS[name].parallel_env(**kw)
    cfg = env.unwrapped.config
    for key, value in kw.items():
        got = getattr(cfg, key)
        assert got == value and type(got) is type(value.item() if hasattr(value, "item") else value)
    env.reset(seed=0)
    assert len(env.agents) == 4
    assert ENVS[name].env_spec(**kw).config["n_agents"] == 4  # JSON-able spec


@pytest.mark.parametrize("name", sorted(ENVS))
@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("n_agents", 100_000, r"an integer in \[1, 256\]"),
        ("n_agents", np.int64(100_000), r"an integer in \[1, 256\]"),
        ("budget", 10**400, r"an integer in \[1, 1000000000\]"),
        ("max_rounds", 10**7, r"an integer in \[1, 10000\]"),
    ],
)
def test_sizes_that_would_exhaust_memory_are_refused_naming_the_bound(name, field, value, allowed):
    with pytest.raises(ValueError, match=rf"{name}: {field}=.* is invalid; allowed: {allowed}"):
        ENVS[name].env_spec(**{field: value})


def test_info_text_is_a_flag_and_not_part_of_the_public_spec():
    with pytest.raises(ValueError, match=r"info_text='yes' is invalid; allowed: True or False"):
        auction_v0.env_spec(info_text="yes")
    assert "info_text" not in auction_v0.env_spec(info_text=True).config
    assert auction_v0.env_spec(info_text=True) == auction_v0.env_spec()


# ----------------------------------------------------------------------- infos
def episode_infos(name, action_type, seed, **kw):
    """Every infos dict of one parallel episode, with the observations beside them."""
    env = ENVS[name].parallel_env(action_type=action_type, **{**LONG[name], **kw})
    rng = np.random.default_rng(seed)
    obs, infos = env.reset(seed=seed)
    out = [(obs, infos)]
    while env.agents:
        acts = {a: sample(env, a, obs[a], rng) for a in env.agents}
        obs, _, _, _, infos = env.step(acts)
        out.append((obs, infos))
    return env, out


@pytest.mark.parametrize("name", sorted(ENVS))
@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
def test_infos_have_the_same_numeric_keys_at_reset_and_every_step(name, action_type):
    for seed in range(3):
        env, steps = episode_infos(name, action_type, seed)
        keys = None
        for obs, infos in steps:
            for agent, info in infos.items():
                if keys is None:
                    keys = list(info)
                assert list(info) == keys, f"{agent}: {list(info)} != {keys}"
                for k, v in info.items():
                    assert isinstance(v, NUMERIC), f"{agent}.{k} = {v!r} is not numeric"
                if action_type == "discrete":
                    assert info["action_mask"].dtype == np.int8
                    if agent in obs:
                        np.testing.assert_array_equal(
                            info["action_mask"], obs[agent]["action_mask"]
                        )
                else:
                    assert "action_mask" not in info
        final = steps[-1][1][env.possible_agents[0]]
        assert final["game_over"] and final["stop_code"] == stop_code(
            env.unwrapped.game.stop_reason
        )
        assert final["correct"] == env.unwrapped.game.correct
        ledger = env.unwrapped.game.ledger
        assert final["billed_tokens"] == ledger.billed_total
        for agent, info in steps[-1][1].items():
            assert info["agent_billed_tokens"] == ledger.billed_by_agent().get(agent, 0)


@pytest.mark.parametrize("name", sorted(ENVS))
def test_info_text_true_merges_the_text_and_text_info_gives_it_anyway(name):
    env, steps = episode_infos(name, "continuous", 0, info_text=True)
    agent = env.possible_agents[0]
    final = steps[-1][1][agent]
    text = env.text_info(agent)
    assert {k: final[k] for k in text} == text
    assert text["question"] == env.game.item.question and text["gold"] == env.game.item.gold
    assert text["stop_reason"] == stop_reason_of(final["stop_code"]) in STOP_REASONS
    plain, _ = episode_infos(name, "continuous", 0)
    assert set(final) - set(text) == set(plain.infos[agent])  # the numeric keys are unchanged
    with pytest.raises(KeyError, match="unknown agent 'nobody'"):
        env.text_info("nobody")


@pytest.mark.parametrize("name", sorted(ENVS))
def test_gymnasium_vector_env_stacks_infos_into_numeric_arrays(name):
    """Gymnasium's SyncVectorEnv builds one array per info key (object arrays for text or
    ``None``); over autoresets every key must give a numeric array."""
    cfg = {"embedder": "hashed"} if name == "debate_v0" else {}
    fns = [lambda: econ_env.single_agent(lambda: econ_env.make(name, **cfg)) for _ in range(3)]
    venv = gymnasium.vector.SyncVectorEnv(fns)
    venv.reset(seed=0)
    venv.action_space.seed(0)
    seen = set()
    for _ in range(12):
        infos = venv.step(venv.action_space.sample())[-1]
        for key, value in infos.items():
            if key.startswith("_"):
                continue
            seen.add(key)
            arr = np.asarray(value)
            assert arr.dtype != object, f"infos[{key!r}] stacked as {arr.dtype}"
    assert {"billed_tokens", "game_over", "correct", "stop_code"} <= seen
    venv.close()


# ----------------------------------------------------------------------- serialisers
def test_env_factories_survive_cloudpickle_and_pickle():
    factories = [
        lambda: econ_env.auction_v0.parallel_env(),
        lambda: auction_v0.parallel_env(n_agents=2),
        lambda: econ_env.debate_v0(embedder="hashed"),
        lambda: econ_env.make("auction_v0"),
    ]
    for fn in factories:
        env = cloudpickle.loads(cloudpickle.dumps(fn))()
        env.reset(seed=0)
    assert pickle.loads(pickle.dumps(auction_v0)) is auction_v0
    assert cloudpickle.loads(cloudpickle.dumps(debate_v0)) is debate_v0


def play_on(env, rng, api):
    """Play ``env`` to the end with actions from ``rng``; every view, comparably."""
    views = []
    if api == "parallel":
        obs = {a: env.observe(a) for a in env.agents}
        while env.agents:
            obs, rew, term, trunc, infos = env.step(
                {a: sample(env, a, obs[a], rng) for a in env.agents}
            )
            views.append((repr(obs), rew, term, trunc, repr(infos)))
    else:
        for agent in env.agent_iter():
            obs, rew, term, trunc, info = env.last()
            views.append((agent, repr(obs), rew, term, trunc, repr(info)))
            env.step(None if term or trunc else sample(env, agent, obs, rng))
    return views, env.unwrapped.game.ledger.to_records(), repr(env.unwrapped.state())


@pytest.mark.parametrize("name", sorted(ENVS))
@pytest.mark.parametrize("api", ["aec", "parallel"])
def test_a_deep_copy_mid_episode_continues_identically(name, api):
    make = ENVS[name].env if api == "aec" else ENVS[name].parallel_env
    env = make(action_type="discrete", **LONG[name])
    env.reset(seed=5)
    rng = np.random.default_rng(1)
    if api == "aec":
        for _ in range(len(env.agents) + 1):  # one settled round and one pending action
            agent = env.agent_selection
            env.step(sample(env, agent, env.observe(agent), rng))
    else:
        env.step({a: sample(env, a, env.observe(a), rng) for a in env.agents})
    twin = copy.deepcopy(env)
    assert twin.unwrapped.game is not env.unwrapped.game
    assert twin.unwrapped.game.ledger.to_records() == env.unwrapped.game.ledger.to_records()
    state = copy.deepcopy(rng.bit_generator.state)
    original = play_on(env, rng, api)
    rng.bit_generator.state = state
    copied = play_on(twin, rng, api)
    assert copied == original
    assert len(original[0]) > 2

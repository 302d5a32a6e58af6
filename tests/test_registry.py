"""The env registry: one table that PettingZoo, Gymnasium, the docs, the CLI, the benchmark and
calibration read."""

import pickle

import gymnasium
import pettingzoo
import pytest

import econ_env
from econ_env.registry import ENVS, env_info, env_name_of, make_raw


def test_list_and_lookup():
    assert econ_env.list_envs() == ["auction_v0", "auction_v1", "debate_v0", "debate_v1"]
    info = env_info("debate_v0")
    assert info.default_policy == "neutral" and info.pettingzoo_id == "econ_env/debate-v0"
    with pytest.raises(ValueError, match=r"unknown environment 'nope'.*auction_v0"):
        env_info("nope")


@pytest.mark.parametrize("name", sorted(ENVS))
def test_every_factory_builds_the_named_env(name):
    info = ENVS[name]
    aec, raw, par = econ_env.make(name), make_raw(name), econ_env.make_parallel(name)
    for env in (aec, raw, par):
        assert env_name_of(env) == name
        assert env.unwrapped.metadata["name"] == name
    assert raw is raw.unwrapped and aec.unwrapped is not aec
    assert info.spec() == raw.env_spec
    versioned = getattr(econ_env, name)
    assert dict(info.full_length_config) == versioned.FULL_LENGTH_CONFIG
    assert type(versioned.parallel_env()) is type(par)


@pytest.mark.parametrize("name", sorted(ENVS))
def test_pettingzoo_and_gymnasium_ids_come_from_the_registry(name):
    info = ENVS[name]
    assert type(pettingzoo.make("aec", info.pettingzoo_id).unwrapped) is type(make_raw(name))
    par = pettingzoo.make("parallel", info.pettingzoo_id, n_agents=2)
    assert tuple(par.possible_agents) == econ_env.env_spec(name, n_agents=2).agents
    single = gymnasium.make(info.gymnasium_id, learner=par.possible_agents[1])
    assert single.unwrapped.env_name == name
    assert single.unwrapped.learner == par.possible_agents[1]


def test_factories_are_picklable_and_envs_pickle_into_independent_copies():
    for info in ENVS.values():
        for factory in (info.env, info.raw_env, info.parallel_env, info.spec):
            assert pickle.loads(pickle.dumps(factory)) is factory
        env = info.parallel_env(n_agents=2)
        copy = pickle.loads(pickle.dumps(env))
        copy.reset(seed=0)
        assert copy is not env and copy.possible_agents == env.possible_agents


def test_env_name_of_rejects_foreign_envs():
    from pettingzoo.classic import rps_v2

    with pytest.raises(ValueError, match="not an econ-env environment"):
        env_name_of(rps_v2.env())


def test_docs_pages_are_the_registry_envs():
    from econ_env.docs import ENV_PAGES

    assert {name: info.doc_module for name, info in ENVS.items()} == ENV_PAGES


def test_the_trace_schema_names_the_benchmark_envs():
    """The shipped JSON schema lists the env names too; it must say what the registry says."""
    import json
    from importlib import resources

    from econ_env.bench.suites import ENVS as BENCH_ENVS

    schema = json.loads(
        (resources.files("econ_env.bench") / "schemas" / "trace.schema.json").read_text()
    )
    assert sorted(schema["properties"]["env"]["enum"]) == sorted(BENCH_ENVS)
    assert sorted(BENCH_ENVS) == sorted(n for n, info in ENVS.items() if info.bench)

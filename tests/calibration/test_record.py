"""Recording traces: both games on the same items, trace files, parallel episodes sharing
batches, errors reaching the caller, and the games, configs and policies read from the env
registry."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

import pytest

from econ_env.calibration import (
    DEFAULT_ENV_KWARGS,
    DEFAULT_POLICIES,
    ENVS,
    load_traces,
    record_traces,
    save_traces,
)
from econ_env.llm.simulated import SimulatedBackend
from econ_env.registry import env_info, list_envs


def test_traces_round_trip_and_bad_line(tmp_path):
    rows = record_traces(SimulatedBackend(seed=3), episodes=2, task="gsm8k")
    roles = {r.role for r in rows}
    assert roles >= {"draft", "strategy", "answer", "commitment"}
    assert {r.game for r in rows} == {"auction_v0", "debate_v0"}
    # both games play the same items, one per episode
    items = {
        g: [r.item_id for r in rows if r.game == g and r.episode == 1]
        for g in ("auction_v0", "debate_v0")
    }
    assert set(items["auction_v0"]) == set(items["debate_v0"]) and len(set(items["debate_v0"])) == 1
    path = tmp_path / "t.jsonl"
    save_traces(path, rows, {"task": "gsm8k"})
    back, meta = load_traces(path)
    assert back == rows and meta == {"task": "gsm8k"}
    path.write_text(path.read_text() + '{"game": "x", "bogus": 1}\n')
    with pytest.raises(ValueError, match=r"t\.jsonl:\d+: unknown TraceRow field"):
        load_traces(path)


class CountingBackend:
    """A simulated backend that records the size of every batch it is asked for."""

    name = "counting"

    def __init__(self) -> None:
        self.inner, self.sizes = SimulatedBackend(seed=4), []

    def generate(self, requests):
        self.sizes.append(len(requests))
        return self.inner.generate(requests)


def test_parallel_episodes_share_batches_and_give_the_same_rows():
    one, many = CountingBackend(), CountingBackend()
    a = record_traces(one, episodes=8, seed=3)
    b = record_traces(many, episodes=8, seed=3, parallel=4)
    assert a == b
    assert sum(one.sizes) == sum(many.sizes) == len(a)
    assert max(one.sizes) == 3 and max(many.sizes) > 3 and len(many.sizes) < len(one.sizes)
    with pytest.raises(ValueError, match="parallel"):
        record_traces(one, episodes=1, parallel=0)


class FailingBackend:
    name = "failing"

    def generate(self, requests):
        raise RuntimeError("backend down")


def test_a_backend_error_reaches_the_caller_from_parallel_workers():
    with pytest.raises(RuntimeError, match="backend down"):
        record_traces(FailingBackend(), episodes=3, parallel=3)


# ---------------------------------------------------------------------------- the registry
def test_games_configs_and_policies_come_from_the_registry():
    games = tuple(n for n in list_envs() if env_info(n).calibration_policy is not None)
    assert ENVS == games == ("auction_v0", "debate_v0")
    for game in ENVS:
        assert DEFAULT_POLICIES[game] == env_info(game).calibration_policy
        assert DEFAULT_ENV_KWARGS[game] == dict(env_info(game).calibration_config)
    assert DEFAULT_POLICIES == {"auction_v0": "truthful", "debate_v0": "round_robin"}


def test_recorded_rows_are_pinned():
    """Same seeds, same rows: a digest of two episodes per game as recorded before calibration
    moved to the env registry, the policy registry and ``play_episode`` (econ-env 0.1)."""
    rows = record_traces(SimulatedBackend(seed=1), episodes=2, seed=0)
    # the regime fields (split facts, message tiers) came later; these games have none
    regime = {"facts_known": 1.0, "learned": False, "tier": None, "source_tokens": 0,
              "heard_tiers": ()}  # fmt: skip
    for r in rows:
        assert {k: getattr(r, k) for k in regime} == regime
    text = json.dumps(
        [{k: v for k, v in asdict(r).items() if k not in regime} for r in rows], sort_keys=True
    )
    assert len(rows) == 28
    assert hashlib.sha256(text.encode()).hexdigest() == (
        "07da95d903fc310c3ed1c96c6855c4503a98ee7052237fb8f505756ff7da1fe2"
    )


def _answer_temperatures(rows):
    return {round(r.temperature, 2) for r in rows if r.game == "debate_v0" and r.role == "answer"}


def test_policies_are_found_by_name():
    backend = SimulatedBackend(seed=5)
    default = record_traces(backend, episodes=2, envs=("debate_v0",))
    assert _answer_temperatures(default) == {0.22, 1.18}  # round_robin: one explorer per round
    kw = {"episodes": 2, "envs": ("debate_v0",)}
    named = record_traces(backend, **kw, policies={"debate_v0": "conservative"})
    assert len(_answer_temperatures(named)) == 1
    spec = "econ_env_baselines.debate:ConservativeBelief"
    by_class = record_traces(backend, **kw, policies={"debate_v0": spec})
    assert by_class == named


def test_env_kwargs_override_the_registry_config():
    rows = record_traces(
        SimulatedBackend(seed=6), episodes=1, env_kwargs={"debate_v0": {"n_agents": 2}}
    )
    assert {r.agent_index for r in rows if r.game == "debate_v0"} == {-1, 0, 1}
    assert {r.agent_index for r in rows if r.game == "auction_v0"} == {0, 1, 2}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"envs": ("chess_v0",)}, r"unknown game 'chess_v0'.*auction_v0"),
        ({"policies": {"go_v0": "truthful"}}, "go_v0"),
        ({"env_kwargs": {"go_v0": {}}}, "go_v0"),
        ({"policies": {"auction_v0": "no_such_policy"}}, r"no_such_policy.*truthful"),
        ({"episodes": 0}, "episodes"),
    ],
)
def test_bad_games_and_policies_are_refused_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        record_traces(SimulatedBackend(seed=7), **{"episodes": 1, **kwargs})

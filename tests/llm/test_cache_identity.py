"""Replay never serves another model's outputs: a cached backend's identity holds everything
that changes its outputs (the simulated backend's seed and parameters, an openai backend's model
and decoding settings), a spec string resolves to the identity recorded for the same keyword
arguments, a strict replay of an unknown identity names it, and files of earlier versions keep
working."""

from __future__ import annotations

import json
import sqlite3

import pytest

import econ_env
from econ_env.llm.base import GenRequest
from econ_env.llm.cache import CacheMiss, canonical_request, request_key
from econ_env.llm.openai_backend import OpenAIBackend
from econ_env.llm.registry import make_backend
from econ_env.llm.simulated import SimulatedBackend
from econ_env.testing.checks import play

REQ = GenRequest(({"role": "user", "content": "What is 2+2?"},), 32, seed=1)
CONFIG = {"n_agents": 3, "max_rounds": 2}


def _episode(backend_kwargs: dict) -> tuple:
    env = econ_env.auction_v0.env(
        backend="cache:simulated", backend_kwargs=backend_kwargs, **CONFIG
    )
    views = play(env, 0, policy_seed=0)
    return views, env.unwrapped.game.transcript.to_records()


@pytest.mark.parametrize(
    "other",
    [{"seed": 7}, {"chars_per_token": 2.0}, {"preset": "qwen2.5-coder-0.5b"}],
    ids=["seed", "chars_per_token", "preset"],
)
def test_replay_with_other_simulated_kwargs_is_a_miss_naming_the_identity(tmp_path, other):
    path = tmp_path / "c.sqlite"
    recorded = _episode({"path": path, "mode": "record"})
    assert _episode({"path": path, "mode": "replay"}) == recorded  # same backend: a hit
    with pytest.raises(CacheMiss, match="was not found") as info:
        _episode({"path": path, "mode": "replay", **other})
    expected = SimulatedBackend(**other).identity
    assert info.value.identity == expected
    assert json.dumps(expected, sort_keys=True, separators=(",", ":")) in str(info.value)
    assert '"seed":"0"' in str(info.value)  # the identity the file does hold


def test_read_write_with_other_simulated_kwargs_generates_that_backends_outputs(tmp_path):
    path = tmp_path / "c.sqlite"
    make_backend("cache:simulated", path=path).generate([REQ])
    for kwargs in ({"seed": 7}, {"chars_per_token": 1.0}):
        (got,) = make_backend("cache:simulated", path=path, **kwargs).generate([REQ])
        assert got == SimulatedBackend(**kwargs).generate([REQ])[0]
        (again,) = make_backend("cache:simulated", path=path, mode="replay", **kwargs).generate(
            [REQ]
        )
        assert again == got


def test_replay_of_an_openai_spec_with_another_model_is_a_miss(tmp_path, fake_openai):
    path = tmp_path / "c.sqlite"
    spec = f"cache:openai:{fake_openai.base_url}"
    recorded = make_backend(spec, path=path, mode="record", model="model-a").generate([REQ])
    assert make_backend(spec, path=path, mode="replay", model="model-a").generate([REQ]) == recorded
    with pytest.raises(CacheMiss, match=r'identity \{"backend":"openai","model":"model-b"'):
        make_backend(spec, path=path, mode="replay", model="model-b").generate([REQ])
    assert [b["model"] for b in fake_openai.bodies] == ["model-a"]  # replays never asked


def test_openai_identity_holds_the_decoding_settings_and_not_the_url():
    base = OpenAIBackend("http://127.0.0.1:1/v1", model="m")
    assert base.identity == {"backend": "openai", "model": "m", "revision": None}  # as in 0.1
    assert OpenAIBackend("http://10.0.0.2:8000/v1", model="m").identity == base.identity
    others = [
        OpenAIBackend("http://127.0.0.1:1/v1", model="m2"),
        OpenAIBackend("http://127.0.0.1:1/v1", model="m", revision="q4"),
        OpenAIBackend("http://127.0.0.1:1/v1", model="m", logprobs=False),
        OpenAIBackend("http://127.0.0.1:1/v1", model="m", top_logprobs=2),
        OpenAIBackend("http://127.0.0.1:1/v1", model="m", repetition_penalty_field=None),
        OpenAIBackend("http://127.0.0.1:1/v1", model="m", repetition_penalty_field="rp"),
    ]
    keys = {request_key(b.identity, REQ) for b in [base, *others]}
    assert len(keys) == 1 + len(others)
    # settings that change nothing returned stay out of the key
    quiet = OpenAIBackend("http://127.0.0.1:1/v1", model="m", timeout=5, concurrency=2, seed=9)
    assert quiet.identity == base.identity


def test_a_spec_with_unserialisable_kwargs_is_built_not_guessed(tmp_path):
    from econ_env.llm.simulated import SimParams

    path = tmp_path / "c.sqlite"
    make_backend("cache:simulated", path=path, mode="record").generate([REQ])
    replay = make_backend("cache:simulated", path=path, mode="replay", params=SimParams(skill=0.1))
    with pytest.raises(CacheMiss, match="was not found"):
        replay.generate([REQ])


# ---------------------------------------------------------------------- files of 0.1 / 0.2
OLD_SCHEMA = """
CREATE TABLE generations (key TEXT PRIMARY KEY, model TEXT NOT NULL, request TEXT NOT NULL,
    text TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    mean_logprob TEXT NOT NULL, mean_entropy TEXT NOT NULL, finish_reason TEXT NOT NULL,
    created REAL NOT NULL);
CREATE INDEX generations_model ON generations(model);
CREATE TABLE counters (model TEXT PRIMARY KEY, hits INTEGER NOT NULL DEFAULT 0,
    misses INTEGER NOT NULL DEFAULT 0);
CREATE TABLE specs (spec TEXT NOT NULL, identity TEXT NOT NULL, PRIMARY KEY (spec, identity));
"""


def _old_file(path, backend: SimulatedBackend, spec: str) -> None:
    """A cache file as econ-env 0.2 wrote it: rows keyed as today, and a ``specs`` table that
    resolved a spec string to an identity without its keyword arguments."""
    (c,) = backend.generate([REQ])
    ident = backend.identity
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    row = (request_key(ident, REQ), "?", canonical_request(ident, REQ), c.text, c.prompt_tokens)
    row += (c.completion_tokens, repr(c.mean_logprob), repr(c.mean_entropy), c.finish_reason, 0.0)
    conn.execute("INSERT INTO generations VALUES (?,?,?,?,?,?,?,?,?,?)", row)
    conn.execute("INSERT INTO specs VALUES (?, ?)", (spec, json.dumps(ident, sort_keys=True)))
    conn.commit()
    conn.close()


def test_old_files_keep_their_rows_and_drop_the_guessing_spec_table(tmp_path):
    path = tmp_path / "old.sqlite"
    _old_file(path, SimulatedBackend(), "simulated")
    expected = SimulatedBackend().generate([REQ])
    # replay (read-only: the old file gets no new table) and read-write both hit the old row
    assert make_backend("cache:simulated", path=path, mode="replay").generate([REQ]) == expected
    rw = make_backend("cache:simulated", path=path)
    assert rw.generate([REQ]) == expected and rw.hits == 1
    # the old spec -> identity row (recorded without kwargs) never answers for seed=7
    with pytest.raises(CacheMiss, match='"seed":"7"'):
        make_backend("cache:simulated", path=path, mode="replay", seed=7).generate([REQ])

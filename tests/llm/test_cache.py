"""Tests for the SQLite generation cache: keys, modes, exact storage, bit-for-bit replay of
auction_v0 and debate_v0, concurrent writer processes, SIGKILLed writers and the CLI."""

from __future__ import annotations

import json
import math
import multiprocessing
import pickle
import signal
import sqlite3
import struct
import subprocess
import sys
import textwrap
import time
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import econ_env
from econ_env.cli import main as cli_main
from econ_env.core.ledger import Role
from econ_env.llm import cache_commands, registry
from econ_env.llm.base import BackendUnavailable, Completion, GenRequest, SimHints
from econ_env.llm.cache import (
    CachedBackend,
    CacheMiss,
    backend_identity,
    cache_stats,
    canonical_request,
    clear_cache,
    default_cache_path,
    format_stats,
    request_key,
)
from econ_env.llm.registry import make_backend
from econ_env.tasks.base import TaskItem
from econ_env.testing.checks import play


def msgs(text: str = "What is 2+2?") -> tuple[dict[str, str], ...]:
    return ({"role": "system", "content": "Be brief."}, {"role": "user", "content": text})


class Echo:
    """A deterministic backend whose completions are a function of the request; counts calls."""

    name = "echo"

    def __init__(self, identity: dict | None = None) -> None:
        self.calls: list[int] = []  # batch sizes
        if identity is not None:
            self.identity = identity

    def generate(self, requests):
        self.calls.append(len(requests))
        return [echo_completion(r) for r in requests]


def echo_completion(r: GenRequest) -> Completion:
    text = r.messages[-1]["content"]
    n = len(text) + (r.seed or 0)
    return Completion(f"echo {text} #{r.seed}", 7 + len(text), 1 + n % 5, -1.0 / (n + 3), n / 7)


class Dead:
    """A backend with a given name (and, optionally, identity) that is never reachable."""

    def __init__(self, name: str, identity: dict | None = None) -> None:
        self.name = name
        if identity is not None:
            self.identity = identity

    def generate(self, requests):
        raise BackendUnavailable("http://127.0.0.1:9/v1", "test backend is down")


# ---------------------------------------------------------------------- keys
texts = st.text(max_size=40)
reqs = st.builds(
    GenRequest,
    messages=st.lists(
        st.fixed_dictionaries(
            {"role": st.sampled_from(["system", "user", "assistant"]), "content": texts}
        ),
        min_size=1,
        max_size=3,
    ).map(tuple),
    max_tokens=st.integers(1, 512),
    temperature=st.floats(0.0, 2.0),
    top_p=st.floats(0.01, 1.0),
    repetition_penalty=st.floats(1.0, 2.0),
    seed=st.none() | st.integers(0, 2**31 - 1),
    belief=st.none() | st.lists(st.floats(-1, 1), max_size=3).map(tuple),
)
IDENT = {"backend": "openai", "model": "m", "revision": None}


ITEMS = [
    TaskItem("t/1", "What is 2+2?", "4", "numeric", {"difficulty": 0.3}),
    TaskItem("c/1", "Pick: A) x B) y", "B", "choice", {"choices": ("x", "y")}),
]
answers = st.none() | st.text(max_size=5)
hints_st = st.builds(
    SimHints,
    item=st.none() | st.sampled_from(ITEMS),
    role=st.sampled_from(list(Role)),
    agent_index=st.integers(-1, 8),
    own_answer=answers,
    heard=st.lists(answers, max_size=4).map(tuple),
)


@given(reqs, hints_st, hints_st)
def test_hints_never_enter_the_key(req, hints, other):
    key = request_key(IDENT, req)
    assert key == request_key(IDENT, replace(req, hints=hints))
    assert key == request_key(IDENT, replace(req, hints=other))
    assert canonical_request(IDENT, req) == canonical_request(IDENT, replace(req, hints=hints))


@given(reqs, st.data())
def test_every_keyed_field_changes_the_key(req, data):
    field = data.draw(
        st.sampled_from(
            [
                "messages",
                "max_tokens",
                "temperature",
                "top_p",
                "repetition_penalty",
                "seed",
                "belief",
                "identity",
            ]
        )
    )
    other, ident = req, IDENT
    if field == "messages":
        m = dict(req.messages[-1])
        m["content"] += data.draw(st.text(min_size=1, max_size=3))
        other = replace(req, messages=(*req.messages[:-1], m))
    elif field == "max_tokens":
        other = replace(req, max_tokens=req.max_tokens % 512 + 1)
    elif field == "temperature":
        other = replace(req, temperature=req.temperature + 0.5)
    elif field == "top_p":
        other = replace(req, top_p=req.top_p / 2)
    elif field == "repetition_penalty":
        other = replace(req, repetition_penalty=req.repetition_penalty + 0.25)
    elif field == "seed":
        other = replace(req, seed=None if req.seed is not None else 1)
    elif field == "belief":
        other = replace(req, belief=(*(req.belief or ()), 0.5))
    else:
        ident = {**IDENT, "revision": data.draw(st.text(min_size=1, max_size=5))}
    assert request_key(IDENT, req) != request_key(ident, other)


def test_key_canonicalisation_of_numbers_and_dict_order():
    a = GenRequest(msgs(), 32, temperature=1, top_p=1, seed=3, belief=(0.0, -0.0))
    b = GenRequest(
        ({"content": "Be brief.", "role": "system"}, msgs()[1]),
        32,
        temperature=1.0,
        top_p=1.0,
        seed=3,
        belief=(-0.0, 0.0),
    )
    assert request_key(IDENT, a) == request_key(IDENT, b)
    assert request_key({"model": "m", "backend": "openai", "revision": None}, a) == request_key(
        IDENT, a
    )
    with pytest.raises(ValueError, match="belief"):
        request_key(IDENT, GenRequest(msgs(), 8, belief=(math.nan,)))


def test_identity_falls_back_to_the_name():
    assert backend_identity(Echo()) == {"name": "echo"}
    assert backend_identity(Echo({"model": "x"})) == {"model": "x"}


# ---------------------------------------------------------------------- modes
def test_read_write_serves_hits_and_batches_unique_misses(tmp_path):
    inner = Echo()
    cache = CachedBackend(inner, path=tmp_path / "c.sqlite")
    r = [GenRequest(msgs(f"q{i}"), 16, seed=i) for i in range(4)]
    first = cache.generate([r[0], r[1], r[0]])
    assert inner.calls == [2]  # one batched call, the duplicate asked once
    assert first == [echo_completion(x) for x in (r[0], r[1], r[0])]
    again = cache.generate(r)
    assert inner.calls == [2, 2] and again == [echo_completion(x) for x in r]
    assert cache.generate(r) == again and inner.calls == [2, 2]
    s = cache.stats()
    assert s["rows"] == 4 and s["models"]["echo"] == {"rows": 4, "hits": 6, "misses": 5}
    assert (s["session_hits"], s["session_misses"]) == (6, 5)


def test_record_always_calls_inner_and_overwrites(tmp_path):
    path = tmp_path / "c.sqlite"
    r = [GenRequest(msgs(), 16, seed=1)]
    CachedBackend(Echo(), path=path).generate(r)

    class Changed(Echo):
        def generate(self, requests):
            self.calls.append(len(requests))
            return [replace(echo_completion(x), text="new") for x in requests]

    inner = Changed()
    rec = CachedBackend(inner, path=path, mode="record")
    assert rec.generate(r)[0].text == "new" and rec.generate(r)[0].text == "new"
    assert inner.calls == [1, 1]
    assert CachedBackend(Dead("echo"), path=path, mode="replay").generate(r)[0].text == "new"


def test_replay_miss_names_the_request_and_never_calls_inner(tmp_path):
    path = tmp_path / "c.sqlite"
    CachedBackend(Echo(), path=path).generate([GenRequest(msgs(), 16, seed=1)])
    replay = CachedBackend(Dead("echo"), path=path, mode="replay")
    miss = GenRequest(msgs("How many apples are left after Tom eats three of them?"), 16, seed=2)
    with pytest.raises(CacheMiss, match=r"role='user'.*How many apples are left") as info:
        replay.generate([GenRequest(msgs(), 16, seed=1), miss])
    assert info.value.key == request_key({"name": "echo"}, miss)
    assert info.value.key[:16] in str(info.value) and str(path) in str(info.value)


def test_exact_round_trip_of_completion_fields(tmp_path):
    # every valid extreme (the cache stores only valid completions: see generate_checked)
    logprobs = [-0.0, -5e-324, -1.0000000000000002, -math.pi, -1e308, -2.5e-300, 0.0]
    entropies = [0.0, 5e-324, 1.0000000000000002, math.pi, 1e308, 2.5e-300, 1.7976931348623157e308]

    class Weird:
        name = "weird"

        def generate(self, requests):
            return [
                Completion(
                    f"t{r.seed}\u00e9\x00", 3, 4, logprobs[r.seed], entropies[r.seed], "length"
                )
                for r in requests
            ]

    r = [GenRequest(msgs(), 8, seed=i) for i in range(len(logprobs))]
    expected = Weird().generate(r)
    CachedBackend(Weird(), path=tmp_path / "c.sqlite").generate(r)
    got = CachedBackend(Dead("weird"), path=tmp_path / "c.sqlite", mode="replay").generate(r)
    for g, e in zip(got, expected, strict=True):
        assert (g.text, g.prompt_tokens, g.completion_tokens, g.finish_reason) == (
            e.text,
            e.prompt_tokens,
            e.completion_tokens,
            e.finish_reason,
        )
        assert struct.pack("<dd", g.mean_logprob, g.mean_entropy) == struct.pack(
            "<dd", e.mean_logprob, e.mean_entropy
        )


def test_validation_pickle_and_registry_routing(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="mode"):
        CachedBackend(Echo(), path=tmp_path / "c.sqlite", mode="replay-ish")
    with pytest.raises(ValueError, match="busy_timeout"):
        CachedBackend(Echo(), path=tmp_path / "c.sqlite", busy_timeout=0)
    monkeypatch.setenv("ECON_ENV_HOME", str(tmp_path / "home"))
    assert default_cache_path() == tmp_path / "home" / "cache" / "generations.sqlite"
    b = make_backend("cache:simulated:3", mode="read-write")
    assert isinstance(b, CachedBackend) and b.path == default_cache_path()
    r = [GenRequest(msgs(), 16, seed=1)]
    out = b.generate(r)
    clone = pickle.loads(pickle.dumps(b))
    assert clone.generate(r) == out and clone.hits == 1


def test_replay_of_a_spec_uses_the_recorded_identity_without_building(tmp_path):
    built = []

    def factory(arg=None, **kw):
        built.append(arg)
        return Echo({"model": f"m-{arg}"})

    saved = dict(registry._REGISTRY)
    registry.register_backend("probe", factory)
    try:
        path = tmp_path / "c.sqlite"
        r = [GenRequest(msgs(), 16, seed=5)]
        out = make_backend("cache:probe:x", path=path, mode="record").generate(r)
        assert built == ["x"]
        replay = make_backend("cache:probe:x", path=path, mode="replay")
        assert replay.generate(r) == out and built == ["x"]  # not built again
    finally:
        registry._REGISTRY.clear()
        registry._REGISTRY.update(saved)


# ---------------------------------------------------------------------- bit-for-bit replay
def _episode_record(env_module, backend, seeds, **config):
    env = env_module.env(backend=backend, **config)
    out = []
    for seed in seeds:
        views = play(env, seed, policy_seed=seed)
        game = env.unwrapped.game
        out.append((views, game.ledger.to_records(), game.transcript.to_records()))
    return out


@pytest.mark.parametrize(
    ("env_module", "config"),
    [
        (econ_env.auction_v0, {"n_agents": 3, "max_rounds": 3}),
        (econ_env.debate_v0, {"n_agents": 3, "max_rounds": 3, "embedder": "hashed"}),
    ],
    ids=["auction_v0", "debate_v0"],
)
def test_record_then_replay_is_bit_for_bit(tmp_path, env_module, config):
    path = tmp_path / "run.sqlite"
    seeds = (0, 1, 2)
    recorded = _episode_record(
        env_module, CachedBackend("simulated:4", path=path, mode="record"), seeds, **config
    )
    replay = CachedBackend(
        Dead("simulated", make_backend("simulated:4").identity), path=path, mode="replay"
    )
    replayed = _episode_record(env_module, replay, seeds, **config)
    assert replayed == recorded
    assert replay.misses == 0 and replay.hits > 0
    assert any(v["reward"] != 0.0 for views, _, _ in recorded for v in views)


# ---------------------------------------------------------------------- several processes
def _writer(path: str, worker: int, m: int, queue) -> None:
    try:
        cache = CachedBackend(Echo(), path=path, busy_timeout=5.0)
        for j in range(m):
            # half private keys, half shared by every worker (racing on the same rows)
            key = f"w{worker}-{j}" if j % 2 else f"shared-{j}"
            (c,) = cache.generate([GenRequest(msgs(key), 16, seed=j)])
            assert c == echo_completion(GenRequest(msgs(key), 16, seed=j))
        queue.put((worker, "ok"))
    except BaseException as err:  # reported to the parent
        queue.put((worker, repr(err)))


def test_concurrent_writer_processes_lose_nothing(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    n, m = 6, 100
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(path, w, m, queue)) for w in range(n)]
    for p in procs:
        p.start()
    results = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    assert results == dict.fromkeys(range(n), "ok")
    expected = {f"w{w}-{j}" for w in range(n) for j in range(1, m, 2)} | {
        f"shared-{j}" for j in range(0, m, 2)
    }
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()
    stats = cache_stats(path)
    assert stats["rows"] == len(expected)
    assert stats["hits"] + stats["misses"] == n * m
    replay = CachedBackend(Dead("echo"), path=path, mode="replay")
    for key in expected:
        seed = int(key.rsplit("-", 1)[1])
        r = GenRequest(msgs(key), 16, seed=seed)
        assert replay.generate([r]) == [echo_completion(r)]


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from econ_env.llm.base import Completion, GenRequest
    from econ_env.llm.cache import CachedBackend

    class Big:
        name = "big"
        def generate(self, requests):
            return [Completion(r.messages[-1]["content"] * 200, 11, r.seed % 97, -0.5, 0.25)
                    for r in requests]

    cache = CachedBackend(Big(), path=sys.argv[1], mode="record")
    print("ready", flush=True)
    i = int(sys.argv[2])
    while True:
        cache.generate([GenRequest(({"role": "user", "content": f"row {i}-{k} "},), 64, seed=k)
                        for k in range(50)])
        i += 1
    """
)


def test_sigkilled_writer_leaves_a_consistent_database(tmp_path):
    path = tmp_path / "killed.sqlite"
    rng = np.random.default_rng(0)
    for attempt in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(path), str(attempt * 10_000)],
            stdout=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        time.sleep(float(rng.uniform(0.2, 0.6)))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT request FROM generations").fetchall()
        conn.close()
        assert rows and len(rows) % 50 == 0  # whole batches only: a transaction is atomic
    replay = CachedBackend(Dead("big"), path=path, mode="replay")

    for (request,) in rows[:: max(1, len(rows) // 60)]:
        body = json.loads(request)
        r = GenRequest(tuple(body["messages"]), body["max_tokens"], seed=body["seed"])
        (c,) = replay.generate([r])
        assert c == Completion(body["messages"][-1]["content"] * 200, 11, r.seed % 97, -0.5, 0.25)


# ---------------------------------------------------------------------- CLI
def test_cli_stats_and_clear(tmp_path, capsys):
    path = tmp_path / "c.sqlite"
    CachedBackend(Echo({"model": "tiny", "revision": "r1"}), path=path).generate(
        [GenRequest(msgs(), 16, seed=i) for i in range(3)]
    )
    assert cli_main(["cache", "stats", "--path", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rows 3" in out and "tiny@r1" in out
    assert cli_main(["cache", "stats", "--path", str(path), "--json"]) == 0
    assert '"rows": 3' in capsys.readouterr().out
    assert cli_main(["cache", "clear", "--path", str(path), "--model", "other"]) == 0
    assert "deleted 0 rows" in capsys.readouterr().out
    assert cli_main(["cache", "clear", "--path", str(path)]) == 0
    assert "deleted 3 rows" in capsys.readouterr().out and cache_stats(path)["rows"] == 0
    assert cli_main(["cache", "stats", "--path", str(tmp_path / "none.sqlite")]) == 1
    assert "no cache file" in capsys.readouterr().out


def test_the_cli_module_re_exports_the_cache_file_functions():
    # the functions live in econ_env.llm.cache (which never imports the CLI module)
    assert cache_commands.cache_stats is cache_stats
    assert cache_commands.format_stats is format_stats
    assert cache_commands.clear_cache is clear_cache


def test_simulated_backends_with_other_seeds_or_params_never_share_rows(tmp_path):
    from econ_env.llm.cache import CachedBackend
    from econ_env.llm.simulated import SimulatedBackend

    path = tmp_path / "c.sqlite"
    req = GenRequest(messages=({"role": "user", "content": "2+2?"},), max_tokens=32, seed=1)
    CachedBackend(SimulatedBackend(seed=1), path=path, mode="record").generate([req])
    for other in (SimulatedBackend(seed=2), SimulatedBackend(seed=1, skill=0.1)):
        with pytest.raises(CacheMiss):
            CachedBackend(other, path=path, mode="replay").generate([req])
    hit = CachedBackend(SimulatedBackend(seed=1), path=path, mode="replay")
    assert len(hit.generate([req])) == 1

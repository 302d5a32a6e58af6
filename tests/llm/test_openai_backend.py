"""Tests for the ``openai`` backend against a real llama.cpp server (SmolLM2 GGUF on loopback):
usage-based counts, order under concurrency, retries through injected faults, dead servers,
a server killed mid-episode, and a full auction_v0 episode recorded and replayed bit-for-bit."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import econ_env
from econ_env.llm.base import BackendUnavailable, GenRequest
from econ_env.llm.cache import CachedBackend
from econ_env.llm.openai_backend import OpenAIBackend, OpenAIConfig
from econ_env.llm.registry import make_backend
from econ_env.llm.simulated import SimulatedBackend
from econ_env.models import smollm2_gguf
from econ_env.testing.checks import play
from econ_env.testing.fault_proxy import FaultProxy
from econ_env.testing.llama_server import LlamaServer, free_port, llama_server

QUICK = {"backoff": 0.01, "backoff_max": 0.05}  # tiny backoff keeps retry tests fast


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """One real llama.cpp server (SmolLM2) for the module."""
    with llama_server(smollm2_gguf(), n_ctx=2048) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def model(url: str) -> str:
    return OpenAIBackend(url).model


def ask(text: str, max_tokens: int = 12, seed: int = 0) -> GenRequest:
    return GenRequest(({"role": "user", "content": text},), max_tokens, temperature=0.0, seed=seed)


def raw_usage(base_url: str, model: str, req: GenRequest) -> dict:
    """The server's own usage for a request, asked over plain HTTP without the client."""
    body = {
        "model": model,
        "messages": list(req.messages),
        "max_tokens": req.max_tokens,
        "temperature": req.temperature,
        "seed": req.seed,
    }
    post = urllib.request.Request(
        f"{base_url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(post, timeout=60) as resp:
        return json.loads(resp.read())["usage"]


# ---------------------------------------------------------------------- config
def test_config_validation_names_the_field():
    with pytest.raises(ValueError, match="base_url"):
        OpenAIBackend("127.0.0.1:8080")
    with pytest.raises(ValueError, match="concurrency"):
        OpenAIBackend("http://127.0.0.1:8080/v1", concurrency=0)
    with pytest.raises(ValueError, match="backoff_max"):
        OpenAIConfig("http://127.0.0.1:8080/v1", backoff=2.0, backoff_max=1.0)
    with pytest.raises(ValueError, match="max_retries"):
        OpenAIConfig("http://127.0.0.1:8080/v1", max_retries=1.5)
    b = make_backend("openai:http://127.0.0.1:8080/v1/", model="m", revision="q4")
    assert b.name == "openai:http://127.0.0.1:8080/v1"
    assert b.identity == {"backend": "openai", "model": "m", "revision": "q4"}
    req = GenRequest(({"role": "user", "content": "hi"},), 8, repetition_penalty=1.3, seed=4)
    body = b._body(req)
    assert body["extra_body"] == {"repeat_penalty": 1.3} and body["seed"] == 4
    assert body["logprobs"] is True and body["top_logprobs"] == 5
    plain = OpenAIBackend("http://h:1/v1", model="m", repetition_penalty_field=None, logprobs=False)
    assert not {"extra_body", "logprobs", "top_logprobs"} & set(plain._body(req))


# ---------------------------------------------------------------------- a live server
def test_counts_come_from_the_servers_usage(url, model):
    backend = OpenAIBackend(url)  # model=None: asked from /v1/models
    assert backend.model == model and backend.identity["model"] == model
    reqs = [
        ask("What is 2+3? Answer briefly."),
        replace(ask("Name a colour.", max_tokens=4), repetition_penalty=1.3),
    ]
    out = backend.generate(reqs)
    for req, c in zip(reqs, out, strict=True):
        usage = raw_usage(url, model, req)
        assert (c.prompt_tokens, c.completion_tokens) == (
            usage["prompt_tokens"],
            usage["completion_tokens"],
        )
        assert 0 < c.completion_tokens <= req.max_tokens and c.text
        assert c.mean_logprob <= 0.0 and c.mean_entropy >= 0.0
    assert out[1].finish_reason == "length"
    assert backend.missing_logprobs == 0 and out[0].mean_logprob < 0.0


def test_order_is_preserved_under_concurrency(url, model):
    words = ["apple", "two bananas", "three red ripe cherries"]
    reqs = [ask(f"Repeat after me: {w}", max_tokens=4) for w in words]
    serial = OpenAIBackend(url, model=model, concurrency=1).generate(reqs)
    backend = OpenAIBackend(url, model=model, concurrency=3)
    parallel = backend.generate(reqs)
    assert parallel == serial
    assert [c.prompt_tokens for c in parallel] == sorted({c.prompt_tokens for c in parallel})
    assert backend.attempts == len(reqs) and backend.retries == 0


def test_retries_succeed_through_429_500_and_dropped_connections(url, model):
    reqs = [ask("Say hi.", max_tokens=4, seed=s) for s in range(3)]
    direct = OpenAIBackend(url, model=model).generate(reqs)
    plan = ["429", "500", "drop", "503", "drop"]
    with FaultProxy(url, plan=plan, lifetime=60) as proxy:
        backend = OpenAIBackend(proxy.base_url, model=model, max_retries=5, concurrency=3, **QUICK)
        assert backend.generate(reqs) == direct
        assert proxy.requests == len(reqs) + len(plan)
        assert proxy.counts == {"429": 1, "500": 1, "503": 1, "drop": 2, "pass": 3}
    assert backend.attempts == len(reqs) + len(plan) and backend.retries == len(plan)


def test_timeouts_are_retried(url, model):
    with FaultProxy(url, plan=["sleep:3"], lifetime=60) as proxy:
        backend = OpenAIBackend(proxy.base_url, timeout=0.5, max_retries=2, **QUICK)
        assert backend.model == model  # GET /models: the first try times out, the second passes
        assert backend.retries == 1 and proxy.requests == 2


def test_client_errors_are_not_retried(url, model):
    with FaultProxy(url, plan=["400"], lifetime=60) as proxy:
        backend = OpenAIBackend(proxy.base_url, model=model, max_retries=3, **QUICK)
        with pytest.raises(RuntimeError, match="HTTP 400") as info:
            backend.generate([ask("Say hi.")])
        assert not isinstance(info.value, BackendUnavailable)
        assert proxy.requests == 1 and backend.attempts == 1


def test_persistent_5xx_gives_up_after_max_retries(url, model):
    with FaultProxy(url, plan=["500"] * 10, lifetime=60) as proxy:
        backend = OpenAIBackend(proxy.base_url, model=model, max_retries=3, **QUICK)
        with pytest.raises(BackendUnavailable, match="HTTP 500") as info:
            backend.generate([ask("Say hi.")])
        assert info.value.url == proxy.base_url and proxy.base_url in str(info.value)
        assert proxy.requests == 4


def test_dead_url_raises_backend_unavailable_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    backend = OpenAIBackend(url, model="m", max_retries=3, backoff=0.05, backoff_max=0.1)
    t0 = time.monotonic()
    with pytest.raises(BackendUnavailable, match=url) as info:
        backend.generate([ask("hello"), ask("again")])
    assert info.value.url == url and "4 times" in str(info.value)
    assert time.monotonic() - t0 < 5.0  # backoff is bounded: 3 waits of <= 0.1 s
    with pytest.raises(BackendUnavailable, match=url):
        OpenAIBackend(url, max_retries=0).model  # noqa: B018  (model=None asks the server)


def test_fault_proxy_is_loopback_only_bounded_and_stops_by_itself():
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy("http://example.com:80/v1")
    with pytest.raises(ValueError, match="unknown action"):
        FaultProxy("http://127.0.0.1:9/v1", plan=["teapot"])
    with pytest.raises(ValueError, match="lifetime"):
        FaultProxy("http://127.0.0.1:9/v1", lifetime=0)
    proxy = FaultProxy("http://127.0.0.1:9/v1", plan=["418"], lifetime=0.5, max_requests=2)
    with proxy:
        backend = OpenAIBackend(proxy.base_url, max_retries=3, **QUICK)
        with pytest.raises(RuntimeError, match="HTTP 418"):
            backend.model  # noqa: B018
        with pytest.raises(BackendUnavailable):  # the upstream is down: relayed as a drop
            backend.model  # noqa: B018
        assert proxy.requests == 2 and proxy.counts == {"418": 1, "pass": 1}
        port = proxy.port
        time.sleep(1.0)  # the lifetime timer has shut it down
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)


def test_jitter_is_seeded_and_bounded():
    a = OpenAIBackend("http://127.0.0.1:9/v1", model="m", seed=3, backoff=1.0, backoff_max=3.0)
    b = OpenAIBackend("http://127.0.0.1:9/v1", model="m", seed=3, backoff=1.0, backoff_max=3.0)
    da = [a._delay(k) for k in range(6)]
    assert da == [b._delay(k) for k in range(6)]
    for k, d in enumerate(da):
        cap = min(3.0, 2.0**k)
        assert 0.5 * cap <= d < cap


# ---------------------------------------------------------------------- episodes
AUCTION = {"n_agents": 2, "max_rounds": 2, "max_draft_tokens": 16, "budget": 4096}


def test_full_auction_episode_on_openai_recorded_and_replayed(url, model, tmp_path):
    backend = OpenAIBackend(url, model=model)
    path = tmp_path / "real.sqlite"
    env = econ_env.auction_v0.env(
        backend=CachedBackend(backend, path=path, mode="record"), **AUCTION
    )
    views = play(env, seed=0)
    game = env.unwrapped.game
    assert views[-1]["terminated"] or views[-1]["truncated"]
    assert game.stop_reason is not None and views[-1]["info"]["game_over"]
    assert game.ledger.generated_total > 0 and backend.attempts >= AUCTION["n_agents"]
    recorded = (views, game.ledger.to_records(), game.transcript.to_records())
    dead = OpenAIBackend(f"http://127.0.0.1:{free_port()}/v1", model=model, max_retries=0)
    env2 = econ_env.auction_v0.env(backend=CachedBackend(dead, path=path, mode="replay"), **AUCTION)
    views2 = play(env2, seed=0)
    game2 = env2.unwrapped.game
    assert (views2, game2.ledger.to_records(), game2.transcript.to_records()) == recorded
    assert dead.attempts == 0


def _snapshot(game) -> tuple:
    rounds = getattr(game, "round", None)
    return (
        game.ledger.to_records(),
        game.transcript.to_records(),
        len(game.history),
        rounds,
    )


def _play_until_last_step(env, seed: int) -> None:
    """Reset, then act for every agent but the last of the first round."""
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for agent in env.possible_agents[:-1]:
        env.step(rng.uniform(-1, 1, env.action_space(agent).shape).astype(np.float32))


def _kill_and_step(env, victim: LlamaServer) -> tuple[tuple, tuple]:
    game = env.unwrapped.game
    before = _snapshot(game)
    victim.stop(kill=True)
    last = env.possible_agents[-1]
    with pytest.raises(BackendUnavailable, match=victim.base_url):
        env.step(np.zeros(env.action_space(last).shape, dtype=np.float32))
    return before, _snapshot(game)


def test_server_killed_mid_episode_leaves_debate_state_unchanged(model):
    with LlamaServer(smollm2_gguf(), n_ctx=2048) as victim:
        backend = OpenAIBackend(victim.base_url, model=model, max_retries=2, **QUICK)
        env = econ_env.debate_v0.env(
            backend=backend,
            n_agents=2,
            max_rounds=2,
            embedder="hashed",
            max_answer_tokens=16,
            strategy_soft_limit=12,
            strategy_cap=16,
        )
        _play_until_last_step(env, seed=0)
        before, after = _kill_and_step(env, victim)
    assert after == before


def test_server_killed_mid_episode_leaves_auction_state_unchanged(model):
    with LlamaServer(smollm2_gguf(), n_ctx=2048) as victim:
        backend = OpenAIBackend(victim.base_url, model=model, max_retries=2, **QUICK)
        config = {**AUCTION, "stop_on_consensus": False, "max_draft_tokens": 12}
        env = econ_env.auction_v0.env(backend=backend, **config)
        _play_until_last_step(env, seed=0)
        before, after = _kill_and_step(env, victim)
    assert after == before


class Flaky:
    """The simulated backend behind a switch that makes every call fail like a dead server."""

    name = "simulated"

    def __init__(self) -> None:
        self.inner = SimulatedBackend()
        self.down = False

    def generate(self, requests):
        if self.down:
            raise BackendUnavailable("http://127.0.0.1:9/v1", "switched off")
        return self.inner.generate(requests)


def test_a_failed_step_can_be_retried_when_the_backend_is_back():
    flaky = Flaky()
    env = econ_env.debate_v0.env(backend=flaky, n_agents=3, embedder="hashed")
    _play_until_last_step(env, seed=0)
    last = env.possible_agents[-1]
    action = np.zeros(env.action_space(last).shape, dtype=np.float32)
    flaky.down = True
    with pytest.raises(BackendUnavailable):
        env.step(action)
    assert env.agent_selection == last
    flaky.down = False
    env.step(action)
    assert len(env.unwrapped.game.history) == 1


def test_llama_server_reports_a_broken_model_file(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf file")
    server = LlamaServer(bad, ready_timeout=60)
    with pytest.raises(RuntimeError, match="exited with code") as info:
        server.start()
    assert server.base_url in str(info.value) and server.log_path in str(info.value)
    assert "failed to load model" in str(info.value)  # the log's tail is in the message
    Path(server.log_path).unlink()
    with pytest.raises(FileNotFoundError, match="model_path"):
        LlamaServer(tmp_path / "missing.gguf")


def _auction_trace(env) -> tuple:
    return (*_snapshot(env.unwrapped.game), dict(env.unwrapped._cumulative_rewards))


def test_a_failed_auction_round_is_retried_to_the_same_outcome():
    """A revision that fails leaves the round unapplied; retrying gives what an uninterrupted
    run gives (the env's generator was rolled back too)."""
    config = {"n_agents": 3, "stop_on_consensus": False, "max_rounds": 3}
    reference = econ_env.auction_v0.env(backend=Flaky(), **config)
    _play_until_last_step(reference, seed=3)
    action = np.ones(reference.action_space(reference.agent_selection).shape, dtype=np.float32)
    reference.step(action)

    flaky = Flaky()
    env = econ_env.auction_v0.env(backend=flaky, **config)
    _play_until_last_step(env, seed=3)
    before = _auction_trace(env)
    flaky.down = True
    with pytest.raises(BackendUnavailable):
        env.step(action)
    assert _auction_trace(env) == before
    flaky.down = False
    env.step(action)
    assert _auction_trace(env) == _auction_trace(reference)

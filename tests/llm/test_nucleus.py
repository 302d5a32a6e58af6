"""The llama.cpp sampler's nucleus shortcut equals the full stable sort it replaced."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.llm.llamacpp import nucleus_order


def _draw(p: np.ndarray, top_p: float, u: float, order: np.ndarray) -> int:
    q = p[order]
    q = np.where(np.cumsum(q) - q >= top_p, 0.0, q)
    cdf = np.cumsum(q)
    k = int(np.searchsorted(cdf, u * cdf[-1], side="right"))
    return int(order[min(k, len(q) - 1)])


def _probs(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    p = np.exp(z - z.max())
    return p / p.sum()


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    vocab=st.sampled_from([8, 600, 5000]),
    scale=st.sampled_from([0.0, 0.5, 3.0, 12.0]),
    ties=st.booleans(),
    temperature=st.floats(0.05, 2.0),
    top_p=st.floats(0.05, 0.999),
    u=st.floats(0.0, 0.999999),
)
def test_same_token_as_the_full_sort(seed, vocab, scale, ties, temperature, top_p, u) -> None:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=vocab) * scale
    if ties:  # many equal values, some of them at the head's cut
        logits = np.round(logits)
    p = _probs(logits, temperature)
    full = np.argsort(-p, kind="stable")
    fast = nucleus_order(p, top_p, head=64)
    assert np.array_equal(fast, full[: len(fast)])
    assert _draw(p, top_p, u, fast) == _draw(p, top_p, u, full)


def test_the_shortcut_is_taken_on_a_peaked_distribution() -> None:
    logits = np.random.default_rng(0).normal(size=151_936) * 4.0
    logits[:3] += 30.0
    out = nucleus_order(_probs(logits, 0.7), 0.9)
    assert len(out) <= 512 and set(out[:3].tolist()) == {0, 1, 2}


def test_a_flat_distribution_falls_back_to_the_full_sort() -> None:
    p = np.full(2_000, 1 / 2_000)
    assert np.array_equal(nucleus_order(p, 0.5, head=64), np.arange(2_000))

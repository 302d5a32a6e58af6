"""Tiered auctions: the knapsack VCG against brute force, and one-tier delegation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.envs.auction.mechanism import MECHANISMS, run_auction
from econ_env.envs.auction.tiers import best_tiers, run_tiered_auction


def _brute(bids, lengths, cap, k, reserve, exclude=None):
    """Best welfare and assignment over every (agent -> tier or nothing) choice."""
    n, t = bids.shape
    best, best_assign = 0.0, {}
    for choice in itertools.product(range(-1, t), repeat=n):
        assign = {i: c for i, c in enumerate(choice) if c >= 0}
        if exclude in assign or len(assign) > k:
            continue
        if any(not (bids[i, c] > 0 and bids[i, c] >= reserve) for i, c in assign.items()):
            continue
        if cap is not None and sum(lengths[i, c] for i, c in assign.items()) > cap:
            continue
        w = sum(bids[i, c] for i, c in assign.items())
        if w > best + 1e-12:
            best, best_assign = w, assign
    return best, best_assign


@st.composite
def instances(draw):
    n = draw(st.integers(1, 4))
    t = draw(st.integers(2, 3))
    # distinct bids from a grid of primes-ish values keep welfare tie-free with high chance
    bids = (
        np.array(
            draw(st.lists(st.integers(0, 1000), min_size=n * t, max_size=n * t)), dtype=float
        ).reshape(n, t)
        / 1000.0
    )
    lengths = np.array(
        draw(st.lists(st.integers(1, 40), min_size=n * t, max_size=n * t)), dtype=np.int64
    ).reshape(n, t)
    cap = draw(st.one_of(st.none(), st.integers(1, 100)))
    k = draw(st.integers(1, n))
    reserve = draw(st.sampled_from([0.0, 0.1, 0.3]))
    return bids, lengths, cap, k, reserve


def _tie_free(bids, lengths, cap, k, reserve):
    n, t = bids.shape
    vals = []
    for choice in itertools.product(range(-1, t), repeat=n):
        assign = {i: c for i, c in enumerate(choice) if c >= 0}
        if len(assign) > k or any(
            not (bids[i, c] > 0 and bids[i, c] >= reserve) for i, c in assign.items()
        ):
            continue
        if cap is not None and sum(lengths[i, c] for i, c in assign.items()) > cap:
            continue
        vals.append(round(sum(bids[i, c] for i, c in assign.items()), 9))
    top = max(vals)
    return vals.count(top) == 1


@settings(max_examples=150, deadline=None)
@given(instances(), st.integers(0, 2**32 - 1))
def test_knapsack_vcg_equals_brute_force(inst, seed):
    bids, lengths, cap, k, reserve = inst
    if not _tie_free(bids, lengths, cap, k, reserve):
        return
    out = run_tiered_auction(
        "vcg", bids, lengths, rng=np.random.default_rng(seed), reserve=reserve, cap=cap, top_k=k
    )
    best, assign = _brute(bids, lengths, cap, k, reserve)
    res = out.result
    assert res.winners == tuple(sorted(assign))
    assert res.welfare == pytest.approx(best)
    for i in range(len(bids)):
        assert out.tier_of[i] == assign.get(i, -1)
    assert len(res.winners) <= k
    if cap is not None:
        assert sum(lengths[i, out.tier_of[i]] for i in res.winners) <= cap
    for i in range(len(bids)):
        if i not in assign:
            assert res.payments[i] == 0.0
            continue
        b = bids[i, assign[i]]
        without, _ = _brute(bids, lengths, cap, k, reserve, exclude=i)
        expect = min(b, max(without - (best - b), reserve, 0.0))
        assert 0.0 <= res.payments[i] <= b
        assert res.payments[i] == pytest.approx(expect, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(MECHANISMS),
    st.lists(st.floats(0, 1), min_size=1, max_size=6),
    st.integers(0, 2**32 - 1),
    st.one_of(st.none(), st.integers(0, 200)),
    st.integers(1, 6),
    st.sampled_from([0.0, 0.2]),
    st.data(),
)
def test_one_tier_is_run_auction(mech, bids, seed, cap, k, reserve, data):
    n = len(bids)
    k = min(k, n)
    if mech == "second_price":
        k = 1
    lengths = np.array(data.draw(st.lists(st.integers(0, 80), min_size=n, max_size=n)))
    b = np.array(bids)
    r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
    kw = dict(reserve=reserve, cap=cap, top_k=k, temperature=0.2)
    ref = run_auction(mech, b, lengths, rng=r1, **kw)
    out = run_tiered_auction(mech, b[:, None], lengths[:, None], rng=r2, **kw)
    assert out.result == ref
    assert r1.bit_generator.state == r2.bit_generator.state
    assert out.tier_of == tuple(0 if i in ref.winners else -1 for i in range(n))


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([m for m in MECHANISMS if m != "vcg"]),
    instances(),
    st.integers(0, 2**32 - 1),
)
def test_other_mechanisms_run_on_best_tier(mech, inst, seed):
    bids, lengths, cap, k, reserve = inst
    if mech == "second_price":
        k = 1
    best = best_tiers(bids, lengths)
    rows = np.arange(len(bids))
    kw = dict(reserve=reserve, cap=cap, top_k=k, temperature=0.2)
    r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
    ref = run_auction(mech, bids[rows, best], lengths[rows, best], rng=r1, **kw)
    out = run_tiered_auction(mech, bids, lengths, rng=r2, **kw)
    assert out.result == ref
    assert out.tier_of == tuple(int(best[i]) if i in ref.winners else -1 for i in rows)


def test_best_tier_ties_pick_the_shorter_tier():
    bids = np.array([[0.5, 0.5, 0.2], [0.3, 0.7, 0.7]])
    lengths = np.array([[30, 10, 5], [30, 10, 4]])
    assert best_tiers(bids, lengths).tolist() == [1, 2]


def test_knapsack_prefers_a_shorter_tier_that_lets_two_speak():
    bids = np.array([[0.9, 0.6], [0.8, 0.5]])
    lengths = np.array([[60, 20], [60, 20]])
    out = run_tiered_auction("vcg", bids, lengths, rng=np.random.default_rng(0), cap=80, top_k=2)
    # full+summary (0.9 + 0.5 = 1.4 or 0.6 + 0.8 = 1.4) ties; both beat one full message
    assert out.result.winners == (0, 1)
    assert sorted(out.tier_of) == [0, 1]
    assert out.result.welfare == pytest.approx(1.4)


@pytest.mark.parametrize(
    "bids, lengths, match",
    [
        (np.array([0.5, 0.2]), np.array([[1, 2]]), "bids must be a 2-D"),
        (np.array([[0.5, 0.2]]), np.array([[1, 2, 3]]), "lengths must have shape"),
        (np.array([[0.5, 1.5]]), np.array([[1, 2]]), "bids must be in"),
    ],
)
def test_bad_input_raises(bids, lengths, match):
    with pytest.raises(ValueError, match=match):
        run_tiered_auction("vcg", bids, lengths, rng=np.random.default_rng(0))

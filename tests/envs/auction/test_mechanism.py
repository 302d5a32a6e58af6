"""Tests for econ_env.envs.auction.mechanism: pure auction mechanisms."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.envs.auction import mechanism as mech
from econ_env.envs.auction.mechanism import MECHANISMS, AuctionResult, run_auction


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def run(name: str, bids, lengths=None, seed: int = 0, **kw) -> AuctionResult:  # type: ignore[no-untyped-def]
    b = np.asarray(bids, dtype=np.float64)
    ln = np.full(len(b), 10, dtype=np.int64) if lengths is None else np.asarray(lengths)
    return run_auction(name, b, ln, rng=rng(seed), **kw)


def eligible(b: np.ndarray, ln: np.ndarray, reserve: float, cap: float | None) -> list[int]:
    return [
        i for i in range(len(b)) if b[i] > 0 and b[i] >= reserve and (cap is None or ln[i] <= cap)
    ]


def best_welfare(b, ln, elig, cap, k) -> float:  # type: ignore[no-untyped-def]
    """Optimal welfare by brute-force enumeration of feasible sets."""
    best = 0.0
    for r in range(1, min(k, len(elig)) + 1):
        for s in itertools.combinations(elig, r):
            if cap is None or sum(ln[i] for i in s) <= cap:
                best = max(best, sum(b[i] for i in s))
    return best


# ----------------------------------------------------------------------------- hand-worked
def test_vcg_beats_greedy_under_cap() -> None:
    # Greedy by bid takes A (len 100) and then nothing fits; the optimum is B + C.
    bids, lengths = [0.9, 0.6, 0.5], [100, 60, 50]
    r = run("vcg", bids, lengths, cap=110, top_k=3)
    assert r.winners == (1, 2)
    assert r.welfare == pytest.approx(1.1)
    # Clarke: p_B = W*_{-B} - (W(S) - b_B) = 0.9 - 0.5; p_C = 0.9 - 0.6.
    assert r.payments.tolist() == pytest.approx([0.0, 0.4, 0.3])
    assert r.clearing_price == pytest.approx(0.35)
    fp = run("first_price", bids, lengths, cap=110, top_k=3)
    assert fp.winners == (0,) and fp.payments[0] == 0.9 and fp.welfare == 0.9


def test_vcg_reserve_raises_payment_but_not_above_bid() -> None:
    r = run("vcg", [0.9, 0.6, 0.5], [100, 60, 50], cap=110, top_k=3, reserve=0.45)
    assert r.winners == (1, 2)
    assert r.payments.tolist() == pytest.approx([0.0, 0.45, 0.45])


def test_second_price_and_reserve() -> None:
    r = run("second_price", [0.2, 0.7, 0.5])
    assert r.winners == (1,) and r.payments.tolist() == [0.0, 0.5, 0.0]
    assert r.clearing_price == 0.5 and r.welfare == 0.7
    r = run("second_price", [0.2, 0.7, 0.5], reserve=0.6)
    assert r.winners == (1,) and r.payments[1] == 0.6
    r = run("second_price", [0.2, 0.7, 0.5], reserve=0.8)
    assert r.winners == () and r.clearing_price == 0.0 and r.welfare == 0.0


def test_top_k_uniform_price_and_cap_skip() -> None:
    r = run("top_k", [0.2, 0.7, 0.5, 0.4], top_k=2)
    assert r.winners == (1, 2) and r.payments.tolist() == [0.0, 0.4, 0.4, 0.0]
    # Bidder 1 is too long for the cap and can never win; bidder 2 is skipped once 0 is in.
    # The uniform price is the highest losing bid (0.7) capped at the lowest winning bid (0.3).
    r = run("top_k", [0.9, 0.8, 0.7, 0.3], [50, 200, 60, 40], cap=100, top_k=2)
    assert r.winners == (0, 3)
    assert r.payments.tolist() == [0.3, 0.0, 0.0, 0.3]
    r = run("top_k", [0.9, 0.8, 0.7, 0.3], [50, 200, 60, 40], cap=100, top_k=2, reserve=0.35)
    assert r.winners == (0,) and r.payments.tolist() == [0.7, 0.0, 0.0, 0.0]
    r = run("first_price", [0.9, 0.8, 0.7, 0.3], [50, 200, 60, 40], cap=100, top_k=2)
    assert r.winners == (0, 3) and r.payments.tolist() == [0.9, 0.0, 0.0, 0.3]


def test_zero_bids_and_empty() -> None:
    for name in MECHANISMS:
        r = run(name, [0.0, 0.0])
        assert r.winners == () and r.payments.tolist() == [0.0, 0.0] and r.clearing_price == 0.0
        assert run(name, []).winners == ()


def test_softmax_frequencies_follow_exp_bids() -> None:
    wins = 0
    gen = rng(123)
    trials = 4000
    for _ in range(trials):
        r = run_auction("softmax", np.array([0.5, 0.4]), np.array([5, 5]), rng=gen, temperature=0.1)
        wins += r.winners == (0,)
    p0 = math.exp(5) / (math.exp(5) + math.exp(4))
    assert abs(wins / trials - p0) < 0.03


def test_validation_errors() -> None:
    with pytest.raises(ValueError, match="first_price"):
        run("dutch", [0.5])
    for bad in ([1.5], [-0.1], [math.nan]):
        with pytest.raises(ValueError, match="bids"):
            run("first_price", bad)
    with pytest.raises(ValueError, match="bids"):
        run_auction("vcg", np.zeros((2, 2)), np.zeros(4, dtype=int), rng=rng())
    with pytest.raises(ValueError, match="lengths"):
        run("vcg", [0.5, 0.4], [3])
    with pytest.raises(ValueError, match="lengths"):
        run("vcg", [0.5], [-1])
    with pytest.raises(ValueError, match="lengths"):
        run("vcg", [0.5], [2.5])
    with pytest.raises(ValueError, match="top_k"):
        run("second_price", [0.5, 0.4], top_k=2)
    with pytest.raises(ValueError, match="top_k"):
        run("top_k", [0.5, 0.4], top_k=0)
    with pytest.raises(ValueError, match="reserve"):
        run("top_k", [0.5], reserve=-0.1)
    with pytest.raises(ValueError, match="cap"):
        run("top_k", [0.5], cap=-1)
    with pytest.raises(ValueError, match="temperature"):
        run("softmax", [0.5], temperature=0.0)
    with pytest.raises(ValueError, match="rng"):
        run_auction("vcg", np.array([0.5]), np.array([1]), rng=None)  # type: ignore[arg-type]


def test_result_is_immutable() -> None:
    r = run("vcg", [0.3, 0.6])
    with pytest.raises(ValueError):
        r.payments[0] = 1.0
    assert r.revenue == pytest.approx(0.3)


# ----------------------------------------------------------------------------- properties
@st.composite
def auctions(draw: st.DrawFn, max_n: int = 8) -> tuple:
    n = draw(st.integers(1, max_n))
    # A small pool of values makes ties and zero bids common.
    pool = draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4))
    bids = np.array(draw(st.lists(st.sampled_from([0.0, *pool]), min_size=n, max_size=n)))
    lengths = np.array(draw(st.lists(st.integers(0, 120), min_size=n, max_size=n)))
    cap = draw(st.one_of(st.none(), st.integers(0, 300)))
    reserve = draw(st.sampled_from([0.0, 0.0, 0.2, 0.5]))
    k = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    return bids, lengths, cap, reserve, k, seed


@settings(max_examples=200, deadline=None)
@given(auctions(), st.sampled_from(MECHANISMS))
def test_invariants_every_mechanism(case: tuple, name: str) -> None:
    bids, lengths, cap, reserve, k, seed = case
    k = 1 if name == "second_price" else k
    r = run_auction(name, bids, lengths, rng=rng(seed), reserve=reserve, cap=cap, top_k=k)
    assert r == run_auction(name, bids, lengths, rng=rng(seed), reserve=reserve, cap=cap, top_k=k)
    assert len(r.winners) <= k and list(r.winners) == sorted(set(r.winners))
    assert r.payments.shape == bids.shape and r.payments.dtype == np.float64
    for i in range(len(bids)):
        if i in r.winners:
            assert bids[i] > 0 and bids[i] >= reserve
            assert 0.0 <= r.payments[i] <= bids[i]
            assert r.payments[i] >= reserve - 1e-12
        else:
            assert r.payments[i] == 0.0
    if cap is not None:
        assert sum(lengths[i] for i in r.winners) <= cap
    if name in ("second_price", "top_k") and r.winners:
        assert len(set(r.payments[list(r.winners)].tolist())) == 1  # uniform price
    assert r.welfare == pytest.approx(sum(bids[i] for i in r.winners))
    expected_price = float(np.mean(r.payments[list(r.winners)])) if r.winners else 0.0
    assert r.clearing_price == pytest.approx(expected_price)
    # Somebody wins whenever some eligible bidder exists.
    assert bool(r.winners) == bool(eligible(bids, lengths, reserve, cap))


@settings(max_examples=200, deadline=None)
@given(auctions())
def test_second_price_vs_first_price_and_top_k(case: tuple) -> None:
    bids, lengths, cap, reserve, _, seed = case
    kw = {"reserve": reserve, "cap": cap, "top_k": 1}
    sp = run_auction("second_price", bids, lengths, rng=rng(seed), **kw)
    fp = run_auction("first_price", bids, lengths, rng=rng(seed), **kw)
    tk = run_auction("top_k", bids, lengths, rng=rng(seed), **kw)
    assert tk == sp
    assert len(sp.winners) == len(fp.winners)
    if sp.winners:
        assert bids[sp.winners[0]] == bids[fp.winners[0]]  # both take the highest bid
        assert sp.payments[sp.winners[0]] <= fp.payments[fp.winners[0]]


def _check_vcg_optimal(case: tuple) -> None:
    bids, lengths, cap, reserve, k, seed = case
    r = run_auction("vcg", bids, lengths, rng=rng(seed), reserve=reserve, cap=cap, top_k=k)
    elig = eligible(bids, lengths, reserve, cap)
    best = best_welfare(bids, lengths, elig, cap, k)
    assert r.welfare >= best - 1e-9
    for i in r.winners:
        others = [j for j in elig if j != i]
        clarke = best_welfare(bids, lengths, others, cap, k) - (r.welfare - bids[i])
        expected = min(bids[i], max(clarke, reserve))
        assert r.payments[i] == pytest.approx(expected, abs=1e-9)
        assert 0.0 <= r.payments[i] <= bids[i]


@settings(max_examples=200, deadline=None)
@given(auctions())
def test_vcg_is_optimal_with_clarke_payments(case: tuple) -> None:
    _check_vcg_optimal(case)


@settings(max_examples=100, deadline=None)
@given(auctions())
def test_vcg_knapsack_dp_path(case: tuple) -> None:
    old = mech._ENUM_MAX
    mech._ENUM_MAX = 0  # force the DP used for many eligible bidders
    try:
        _check_vcg_optimal(case)
    finally:
        mech._ENUM_MAX = old


def test_vcg_many_bidders_uses_exact_dp() -> None:
    gen = rng(7)
    for seed in range(5):
        n = 16
        bids = np.round(gen.random(n), 2)
        lengths = gen.integers(20, 200, n)
        _check_vcg_optimal((bids, lengths, 300, 0.1, 3, seed))
    # No item limit that can bind: the DP drops its cardinality dimension.
    bids, lengths = np.round(gen.random(13), 2), gen.integers(20, 120, 13)
    _check_vcg_optimal((bids, lengths, 250, 0.0, 13, 0))


@pytest.mark.parametrize("name", MECHANISMS)
@pytest.mark.parametrize("cap", [None, 25])
def test_ties_broken_at_random(name: str, cap: int | None) -> None:
    n = 4
    bids, lengths = np.full(n, 0.5), np.full(n, 10)
    k = 1 if name == "second_price" else 2
    counts = np.zeros(n, dtype=int)
    for seed in range(200):
        r = run_auction(name, bids, lengths, rng=rng(seed), cap=cap, top_k=k)
        assert len(r.winners) == k
        counts[list(r.winners)] += 1
    assert (counts > 0).all(), counts
    # Roughly uniform: each bidder wins about k/n of the time.
    assert (np.abs(counts / 200 - k / n) < 0.15).all(), counts


@pytest.mark.parametrize("n_extra", [0, 12])  # enumeration path and knapsack-DP path
def test_vcg_tiny_positive_bids_still_win(n_extra: int) -> None:
    # Regression (found by hypothesis): welfare ties used an absolute epsilon, so bids far
    # below it tied with the empty set and nobody won although a feasible bidder existed.
    tiny = 1.74e-164
    bids = np.array([tiny, tiny] + [tiny / 2] * n_extra)
    lengths = np.array([1, 1] + [1] * n_extra)
    for seed in range(20):
        r = run_auction("vcg", bids, lengths, rng=np.random.default_rng(seed), cap=1, top_k=2)
        assert len(r.winners) == 1 and r.winners[0] in (0, 1)
        assert 0.0 <= r.payments[r.winners[0]] <= tiny

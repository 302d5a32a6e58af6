"""The batched mechanisms settle every auction as the text env's run_auction does."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.envs.auction.mechanism import run_auction
from econ_env.vector.mechanism import run_auctions

torch.set_num_threads(1)


def _bids(n: int) -> st.SearchStrategy[list[float]]:
    """``n`` bids whose subset sums are all distinct by a margin: distinct powers of two (in
    a random order) times ``1 + jitter`` with a jitter below 0.005, so no two subsets of
    bidders tie in welfare, not even within float32 resolution."""
    return st.tuples(
        st.permutations(list(range(1, n + 1))),
        st.lists(st.floats(0.0, 0.005), min_size=n, max_size=n),
    ).map(lambda pj: [2.0**-e * (1.0 + j) for e, j in zip(*pj, strict=True)])


AUCTION = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        _bids(n),
        st.lists(st.integers(1, 300), min_size=n, max_size=n),
        st.integers(1, 900),
        st.sampled_from([0.0, 0.01]),
        st.integers(1, n),
    )
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["first_price", "second_price", "top_k", "vcg"]),
    st.lists(AUCTION, min_size=1, max_size=8),
)
def test_deterministic_mechanisms_match_the_text_env_exactly(mechanism, auctions):
    """Without ties nothing is left to chance: winners and payments must be identical.

    "Without ties" means every two subsets of an auction's bids differ in total by more than
    1e-4 (see ``_bids``): the batched env works in float32 (welfare ties within 1e-6,
    relative), the text env in float64 (1e-12), so bids closer than float32 resolution tie
    only in the batched env (a documented difference)."""
    for bids_r, *_ in auctions:
        totals = sorted(
            sum(b for j, b in enumerate(bids_r) if code >> j & 1)
            for code in range(1, 1 << len(bids_r))
        )
        assert all(hi - lo > 1e-4 for lo, hi in itertools.pairwise(totals))
    n = max(len(a[0]) for a in auctions)
    bids = np.zeros((len(auctions), n), dtype=np.float32)
    lengths = np.ones((len(auctions), n), dtype=np.int64) * 10**6  # padding never fits
    caps, expected = [], []
    for r, (b, ln, cap, _, _) in enumerate(auctions):
        bids[r, : len(b)] = b
        lengths[r, : len(ln)] = ln
        caps.append(cap)
    reserve, k = auctions[0][3], auctions[0][4]
    if mechanism == "second_price":
        k = 1
    for r in range(len(auctions)):
        res = run_auction(
            mechanism,
            bids[r].astype(np.float64),
            lengths[r],
            rng=np.random.default_rng(0),
            reserve=reserve,
            cap=caps[r],
            top_k=k,
        )
        expected.append(res)
    win, pay, price = run_auctions(
        mechanism,
        torch.as_tensor(bids),
        torch.as_tensor(lengths),
        torch.tensor(caps, dtype=torch.float32),
        torch.Generator().manual_seed(0),
        reserve=reserve,
        top_k=k,
    )
    for r, res in enumerate(expected):
        assert tuple(torch.nonzero(win[r]).flatten().tolist()) == res.winners, (r, auctions[r])
        np.testing.assert_allclose(pay[r].numpy(), res.payments, atol=1e-5)
        assert price[r].item() == pytest.approx(res.clearing_price, abs=1e-5)


def test_ties_are_broken_at_random_not_by_index():
    bids = torch.full((4000, 3), 0.5)
    lengths = torch.full((4000, 3), 10)
    cap = torch.full((4000,), 100.0)
    for mechanism in ("first_price", "second_price", "vcg", "softmax"):
        win, _, _ = run_auctions(mechanism, bids, lengths, cap, torch.Generator().manual_seed(1))
        share = win.float().mean(0)
        assert torch.allclose(share, torch.full((3,), 1 / 3), atol=0.03), mechanism


def test_vcg_knapsack_under_a_binding_cap_and_softmax_sampling_frequencies():
    # cap 100: {0} (0.9, len 90) vs {1, 2} (0.5 + 0.5, len 50 + 50) -> {1, 2} wins the knapsack
    bids = torch.tensor([[0.9, 0.5, 0.5]])
    lengths = torch.tensor([[90, 50, 50]])
    win, pay, _ = run_auctions(
        "vcg", bids, lengths, torch.tensor([100.0]), torch.Generator(), top_k=3
    )
    assert win.tolist() == [[False, True, True]]
    # Clarke: without 1 the others get 0.9; with 1 they get 0.5 -> each pays 0.4
    assert torch.allclose(pay, torch.tensor([[0.0, 0.4, 0.4]]))
    # softmax at temperature 0.1: P(win) ∝ exp(bid / 0.1) among eligible bidders
    many = torch.tensor([[0.6, 0.5, 0.4]]).expand(20000, 3)
    win, _, _ = run_auctions(
        "softmax",
        many,
        torch.full((20000, 3), 10),
        torch.full((20000,), 100.0),
        torch.Generator().manual_seed(2),
        temperature=0.1,
    )
    w = torch.exp(torch.tensor([0.6, 0.5, 0.4]) / 0.1)
    assert torch.allclose(win.float().mean(0), w / w.sum(), atol=0.015)

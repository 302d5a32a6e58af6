"""Tiered auctions (DALA's message tiers): every bidder offers each tier of its message.

A bidder with a draft offers it at several lengths, the configured *tiers* (``TIERS``: the
``full`` draft, a ``summary`` and ``keywords``), each at its own bid. :func:`run_tiered_auction`
takes a bid matrix and a length matrix of shape ``(n, n_tiers)`` and returns a
:class:`TieredResult`: the :class:`~econ_env.envs.auction.mechanism.AuctionResult` (winners,
payments, price, welfare, computed on the winning offers' bids) and the tier each winner
broadcasts.

- ``vcg``: a multiple-choice knapsack. The winner set maximises the sum of the winning offers'
  bids with *at most one tier per agent*, total length ``<= cap`` and at most ``top_k`` winners
  (an exact DP over integer lengths, the agents taken in a random order drawn from ``rng`` so
  welfare ties are broken at random). Clarke payments over the same problem:
  ``p_i = W*_{-i} - (W(S) - b_i)``, clipped to ``[max(reserve, 0), b_i]``.
- every other mechanism: each agent's single offer is the tier it bids highest for (ties: the
  shorter tier, then the earlier one); then :func:`run_auction` runs on those offers.

Eligibility of an offer is as in :func:`run_auction`: bid > 0, ``>= reserve`` and length
``<= cap``. With one tier every mechanism delegates to :func:`run_auction` on the single column,
with identical results and the same draws from ``rng``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from econ_env.envs.auction.mechanism import AuctionResult, run_auction

__all__ = ["TIERS", "TieredResult", "best_tiers", "run_tiered_auction"]

TIERS: tuple[str, ...] = ("full", "summary", "keywords")
"""The message tiers, longest first: the draft itself, a summary of it, its keywords."""

_TIE_EPS = 1e-12


@dataclass(frozen=True, eq=False)
class TieredResult:
    """Outcome of one tiered auction.

    Attributes:
        result: winners, payments, clearing price and welfare (on the winning offers' bids).
        tier_of: per agent, the index of the tier it broadcasts (-1 when it does not win).
    """

    result: AuctionResult
    tier_of: tuple[int, ...]


def _matrix(name: str, value: object, shape: tuple[int, ...] | None) -> np.ndarray:
    a = np.asarray(value)
    if a.ndim != 2 or a.shape[1] < 1 or a.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be a 2-D numeric array (n, n_tiers), got shape {a.shape}")
    if shape is not None and a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


def best_tiers(bids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per agent, the tier it bids highest for (ties: the shorter, then the earlier tier)."""
    n, t = bids.shape
    out = np.zeros(n, dtype=np.int64)
    for i in range(n):
        out[i] = min(range(t), key=lambda j: (-float(bids[i, j]), int(lengths[i, j]), j))
    return out


def _mck(
    items: list[list[tuple[float, int, int]]], cap: int, k: int
) -> tuple[float, list[tuple[int, int]]]:
    """Multiple-choice knapsack: groups of (bid, length, tier) offers, pick at most one per
    group, total length <= cap, at most k picks; returns (best welfare, [(group, tier)])."""
    rows = k + 1
    tables = [np.zeros((rows, cap + 1))]
    for offers in items:
        prev = tables[-1]
        cur = prev.copy()
        for b, ln, _ in offers:
            if ln <= cap:
                tgt = cur[1:, ln:]
                np.maximum(tgt, prev[:-1, : cap + 1 - ln] + b, out=tgt)
        tables.append(cur)
    best = float(tables[-1][k, cap])
    picks: list[tuple[int, int]] = []
    r, c = k, cap
    for g in range(len(items) - 1, -1, -1):
        prev, val = tables[g], tables[g + 1][r, c]
        if val <= prev[r, c] + _TIE_EPS * max(abs(val), 1.0):
            continue
        for b, ln, t in items[g]:
            if (
                ln <= c
                and r >= 1
                and abs(prev[r - 1, c - ln] + b - val) <= _TIE_EPS * max(abs(val), 1.0)
            ):
                picks.append((g, t))
                r, c = r - 1, c - ln
                break
    return best, picks


def _tiered_vcg(
    bl: np.ndarray,
    ll: np.ndarray,
    cap: float | None,
    k: int,
    reserve: float,
    rng: np.random.Generator,
) -> tuple[list[int], dict[int, float], dict[int, int], list[float]]:
    n, t = bl.shape
    offers: dict[int, list[tuple[float, int, int]]] = {}
    for i in range(n):
        row = [
            (float(bl[i, j]), int(ll[i, j]), j)
            for j in range(t)
            if bl[i, j] > 0.0 and bl[i, j] >= reserve and (cap is None or ll[i, j] <= cap)
        ]
        if row:
            offers[i] = row
    win_bid = [0.0] * n
    if not offers:
        return [], {}, {}, win_bid
    order = [list(offers)[j] for j in rng.permutation(len(offers)).tolist()]
    longest = sum(sorted((max(o[1] for o in offers[i]) for i in order), reverse=True)[:k])
    icap = longest if cap is None else min(math.floor(cap), longest)
    kk = min(k, len(order))
    best, picks = _mck([offers[i] for i in order], icap, kk)
    winners = {order[g]: tier for g, tier in picks}
    pay: dict[int, float] = {}
    for i, tier in winners.items():
        b = float(bl[i, tier])
        win_bid[i] = b
        rest = [offers[j] for j in order if j != i]
        without = _mck(rest, icap, min(kk, len(rest)))[0] if rest else 0.0
        pay[i] = min(b, max(without - (best - b), reserve, 0.0))
    return sorted(winners), pay, winners, win_bid


def run_tiered_auction(
    mechanism: str,
    bids: np.ndarray,
    lengths: np.ndarray,
    *,
    rng: np.random.Generator,
    reserve: float = 0.0,
    cap: float | None = None,
    top_k: int = 1,
    temperature: float = 0.1,
) -> TieredResult:
    """Run one tiered auction round (rules: the module docstring).

    Args:
        mechanism: one of :data:`~econ_env.envs.auction.mechanism.MECHANISMS`.
        bids: float array (n, n_tiers) in [0, 1]: each agent's bid for each tier.
        lengths: int array (n, n_tiers): each tier's message length in tokens.
        rng, reserve, cap, top_k, temperature: as in :func:`run_auction`.

    Returns:
        The :class:`TieredResult`.
    """
    b = _matrix("bids", bids, None)
    ln = _matrix("lengths", lengths, b.shape)
    n, t = b.shape
    if t == 1 or mechanism != "vcg":
        tier = np.zeros(n, dtype=np.int64) if t == 1 else best_tiers(b, ln)
        rows = np.arange(n)
        res = run_auction(
            mechanism,
            b[rows, tier] if t > 1 else b[:, 0],
            ln[rows, tier] if t > 1 else ln[:, 0],
            rng=rng,
            reserve=reserve,
            cap=cap,
            top_k=top_k,
            temperature=temperature,
        )
        tier_of = tuple(int(tier[i]) if i in res.winners else -1 for i in range(n))
        return TieredResult(res, tier_of)
    # Validate every value and argument through run_auction's own checks (no rng draw: all
    # bids are zero, so nobody is eligible).
    run_auction(
        mechanism,
        np.zeros(n * t),
        ln.reshape(-1),
        rng=rng,
        reserve=reserve,
        cap=cap,
        top_k=top_k,
        temperature=temperature,
    )
    for i, v in enumerate(b.reshape(-1).tolist()):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"bids must be in [0, 1], got bids[{i // t}, {i % t}]={v}")
    winners, pay, tiers, win_bid = _tiered_vcg(
        b.astype(np.float64), ln.astype(np.int64), cap, int(top_k), float(reserve), rng
    )
    payments = np.zeros(n, dtype=np.float64)
    for i in winners:
        payments[i] = pay[i]
    price = float(sum(pay[i] for i in winners) / len(winners)) if winners else 0.0
    welfare = float(sum(win_bid[i] for i in winners))
    res = AuctionResult(tuple(winners), payments, price, welfare)
    return TieredResult(res, tuple(tiers.get(i, -1) for i in range(n)))

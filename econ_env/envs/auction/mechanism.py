"""Pure auction mechanisms that decide who speaks in a DALA round.

:func:`run_auction` maps bids, message lengths and a seeded ``np.random.Generator`` to an
:class:`AuctionResult` (winners, payments, clearing price, welfare). It has no other state.

Eligibility: a bidder takes part only if its bid is > 0, >= ``reserve`` and its own message
length fits the round ``cap``. For every mechanism the winners' total length fits the cap.
Ties among equal bids are broken uniformly at random with ``rng`` (never by index order).

Mechanisms (``MECHANISMS``):

- ``first_price``: the ``top_k`` highest eligible bids win (a candidate that no longer fits the
  cap is skipped and the next one taken); each winner pays its own bid.
- ``second_price``: one winner (``top_k`` must be 1), the highest eligible bid; it pays
  ``max(second-highest eligible bid, reserve)``.
- ``top_k``: winners chosen as in ``first_price``; all pay the uniform price
  ``max(reserve, highest eligible losing bid)`` (the (k+1)-th bid when the cap does not bind;
  0 when there is no loser), capped at the lowest winning bid — a loser skipped because it did
  not fit the cap may have outbid a winner. With ``top_k=1`` this equals ``second_price``.
- ``softmax``: ``top_k`` winners are sampled without replacement with probability
  ``∝ exp(bid / temperature)`` among eligible bidders that still fit the cap (Gumbel-top-k,
  which is exact sequential sampling). Payment rule: each winner pays
  ``min(own bid, max(reserve, highest eligible losing bid))`` — a second-price rule that never
  exceeds the winner's bid.
- ``vcg``: budget-constrained VCG. The winner set maximises the sum of bids subject to
  ``sum(lengths) <= cap`` and ``|S| <= top_k`` (exact: enumeration of subsets for up to 10
  eligible bidders, a knapsack DP over integer lengths beyond). Optimal sets tied in welfare are
  chosen between at random (uniformly when enumerating; through a random item order in the
  DP). Clarke payments ``p_i = W*_{-i} - (W(S) - b_i)``, then
  ``p_i = min(b_i, max(p_i, reserve))``.

``clearing_price`` is the mean payment of the winners (the uniform price for ``second_price`` and
``top_k``; the winning bid for single-winner ``first_price``); 0 when nobody wins.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = ["MECHANISMS", "AuctionResult", "run_auction"]

MECHANISMS: tuple[str, ...] = ("first_price", "second_price", "top_k", "softmax", "vcg")

_ENUM_MAX = 10  # up to this many eligible bidders VCG enumerates subsets (2^10 x 10 array)
_TIE_EPS = 1e-12  # relative tolerance for welfare ties (float summation noise)


@dataclass(frozen=True, eq=False)
class AuctionResult:
    """Outcome of one auction.

    Attributes:
        winners: indices of the winning bidders, sorted ascending.
        payments: float array (n,); 0 for non-winners, in [0, bid] for winners (read-only).
        clearing_price: mean payment of the winners; 0 when there is no winner.
        welfare: sum of the winners' bids.
    """

    winners: tuple[int, ...]
    payments: np.ndarray
    clearing_price: float
    welfare: float

    def __post_init__(self) -> None:
        if not isinstance(self.payments, np.ndarray) or self.payments.ndim != 1:
            raise ValueError("payments must be a 1-D float array")
        if list(self.winners) != sorted(set(self.winners)):
            raise ValueError(f"winners must be sorted and unique, got {self.winners}")
        if self.winners and not 0 <= self.winners[0] <= self.winners[-1] < len(self.payments):
            raise ValueError(f"winners must be indices in [0, {len(self.payments)})")
        if not (self.clearing_price >= 0.0 and self.welfare >= 0.0):
            raise ValueError("clearing_price and welfare must be >= 0")
        self.payments.setflags(write=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AuctionResult):
            return NotImplemented
        return (
            self.winners == other.winners
            and np.array_equal(self.payments, other.payments)
            and self.clearing_price == other.clearing_price
            and self.welfare == other.welfare
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def revenue(self) -> float:
        """Sum of payments."""
        return float(self.payments.sum())


# --------------------------------------------------------------------------- validation
def _validate(
    mechanism: str,
    bids: np.ndarray,
    lengths: np.ndarray,
    rng: np.random.Generator,
    reserve: float,
    cap: float | None,
    top_k: int,
    temperature: float,
) -> tuple[list[float], list[int]]:
    if mechanism not in MECHANISMS:
        raise ValueError(f"mechanism must be one of {MECHANISMS}, got {mechanism!r}")
    b = np.asarray(bids)
    if b.ndim != 1 or b.dtype.kind not in "fiu":
        raise ValueError(f"bids must be a 1-D float array, got shape {b.shape} dtype {b.dtype}")
    ln = np.asarray(lengths)
    if ln.ndim != 1 or ln.dtype.kind not in "fiu":
        raise ValueError(f"lengths must be a 1-D int array, got shape {ln.shape} dtype {ln.dtype}")
    if ln.shape != b.shape:
        raise ValueError(f"lengths must have the same shape as bids {b.shape}, got {ln.shape}")
    bl = b.tolist()
    for i, v in enumerate(bl):
        if not 0.0 <= v <= 1.0:  # also rejects NaN
            raise ValueError(f"bids must be in [0, 1], got bids[{i}]={v}")
    ll = ln.tolist()
    for i, v in enumerate(ll):
        if not (v >= 0 and v == int(v)):
            raise ValueError(f"lengths must be integers >= 0, got lengths[{i}]={v}")
    if ln.dtype.kind == "f":
        ll = [int(v) for v in ll]
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a np.random.Generator, got {type(rng).__name__}")
    if not (isinstance(reserve, numbers.Real) and 0.0 <= reserve <= 1.0):
        raise ValueError(f"reserve must be a float in [0, 1], got {reserve!r}")
    if cap is not None and not (isinstance(cap, numbers.Real) and 0 <= cap < math.inf):
        raise ValueError(f"cap must be None or a finite number >= 0, got {cap!r}")
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise ValueError(f"top_k must be an int >= 1, got {top_k!r}")
    if mechanism == "second_price" and top_k != 1:
        raise ValueError(f"top_k must be 1 for second_price, got {top_k}")
    if not (isinstance(temperature, numbers.Real) and 0.0 < temperature < math.inf):
        raise ValueError(f"temperature must be a finite float > 0, got {temperature!r}")
    return bl, ll


# --------------------------------------------------------------------------- helpers
def _result(n: int, winners: list[int], pay: dict[int, float], bl: list[float]) -> AuctionResult:
    payments = np.zeros(n, dtype=np.float64)
    ws = sorted(winners)
    total = 0.0
    for i in ws:
        payments[i] = pay[i]
        total += pay[i]
    welfare = float(sum(bl[i] for i in ws))
    price = total / len(ws) if ws else 0.0
    return AuctionResult(tuple(ws), payments, float(price), welfare)


def _greedy(order: list[int], ll: list[int], cap: float | None, k: int) -> list[int]:
    """Take candidates in ``order`` that still fit the cap, up to ``k`` of them."""
    winners: list[int] = []
    used = 0
    for i in order:
        if cap is None or used + ll[i] <= cap:
            winners.append(i)
            used += ll[i]
            if len(winners) >= k:
                break
    return winners


@cache
def _subset_masks(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All 2^m subsets of m items: boolean masks, float masks and sizes."""
    codes = np.arange(1 << m, dtype=np.int64)[:, None]
    masks = ((codes >> np.arange(m, dtype=np.int64)) & 1).astype(bool)
    masks_f = masks.astype(np.float64)
    sizes = masks.sum(axis=1)
    for a in (masks, masks_f, sizes):
        a.setflags(write=False)
    return masks, masks_f, sizes


def _vcg_enum(
    bv: np.ndarray, lv: np.ndarray, cap: float, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, float, np.ndarray]:
    """Exact VCG by enumeration: (winner mask, optimal welfare, W*_{-i} for every item)."""
    masks, masks_f, sizes = _subset_masks(len(bv))
    vals = masks_f @ bv
    feasible = (masks_f @ lv <= cap) & (sizes <= k)
    fv = np.where(feasible, vals, -np.inf)
    best = fv.max()
    cands = np.flatnonzero(fv >= best - _TIE_EPS * abs(best))
    pick = cands[rng.integers(len(cands))] if len(cands) > 1 else cands[0]
    without = np.where(masks, -np.inf, fv[:, None]).max(axis=0)
    return masks[pick], float(fv[pick]), without


def _vcg_dp(
    bv: list[float], lv: list[int], cap: int, k: int
) -> tuple[list[int], float, dict[int, float]]:
    """Exact VCG by a knapsack DP over integer lengths: (winner positions, optimal welfare,
    W*_{-j} for every winner position j).

    ``suf[j][r, c]`` is the best welfare from items ``j..`` with at most ``r`` items (only when
    the cardinality limit can bind; otherwise a single row) and total length <= ``c``. Leave-one-out
    optima combine a prefix table with a suffix table: ``max(pre_j + flip(suf[j + 1]))``.
    """
    m = len(bv)
    fit, used = 0, 0
    for ln in sorted(lv):
        if used + ln > cap:
            break
        fit, used = fit + 1, used + ln
    shift = 1 if k < fit else 0  # 0: the item limit cannot bind, drop that dimension
    rows = k + 1 if shift else 1
    suf = [np.zeros((rows, cap + 1))] * (m + 1)
    for j in range(m - 1, -1, -1):
        nxt, ln = suf[j + 1], lv[j]
        cur = nxt.copy()
        if ln <= cap:
            tgt = cur[shift:, ln:]
            np.maximum(tgt, nxt[: rows - shift, : cap + 1 - ln] + bv[j], out=tgt)
        suf[j] = cur
    best = float(suf[0][-1, cap])
    chosen: list[int] = []
    others: dict[int, float] = {}
    pre = np.zeros((rows, cap + 1))
    r, c = rows - 1, cap
    for j in range(m):
        ln, nxt = lv[j], suf[j + 1]
        take = ln <= c and r - shift >= 0
        if take and nxt[r - shift, c - ln] + bv[j] > nxt[r, c] * (1 + _TIE_EPS):
            chosen.append(j)
            others[j] = float((pre + nxt[::-1, ::-1]).max())
            r, c = r - shift, c - ln
        if ln <= cap:
            new = pre.copy()
            tgt = new[shift:, ln:]
            np.maximum(tgt, pre[: rows - shift, : cap + 1 - ln] + bv[j], out=tgt)
            pre = new
    return chosen, best, others


def _vcg(
    elig: list[int],
    bl: list[float],
    ll: list[int],
    cap: float | None,
    k: int,
    reserve: float,
    tie: list[float],
    rng: np.random.Generator,
) -> tuple[list[int], dict[int, float]]:
    m = len(elig)
    kk = min(k, m)
    longest = sorted((ll[i] for i in elig), reverse=True)[:kk]
    if cap is None or sum(longest) <= cap:
        # The cap cannot bind: the optimum is the top-k bids; Clarke payment = (k+1)-th bid.
        order = sorted(elig, key=lambda i: (-bl[i], tie[i]))
        winners = order[:kk]
        nxt = bl[order[kk]] if m > kk else 0.0
        return winners, {i: min(bl[i], max(nxt, reserve)) for i in winners}
    if m <= _ENUM_MAX:
        bv = np.fromiter((bl[i] for i in elig), dtype=np.float64, count=m)
        lv = np.fromiter((ll[i] for i in elig), dtype=np.float64, count=m)
        mask, best, without = _vcg_enum(bv, lv, cap, kk, rng)
        sel = np.flatnonzero(mask).tolist()
        winners = [elig[j] for j in sel]
        others = {elig[j]: float(without[j]) for j in sel}
    else:
        perm = rng.permutation(m).tolist()  # random item order randomises ties in the DP
        items = [elig[j] for j in perm]
        bv_l = [bl[i] for i in items]
        lv_l = [ll[i] for i in items]
        icap = min(math.floor(cap), sum(lv_l))
        chosen, best, loo = _vcg_dp(bv_l, lv_l, icap, kk)
        winners = [items[j] for j in chosen]
        others = {items[j]: loo[j] for j in chosen}
    pay: dict[int, float] = {}
    for i in winners:
        p = others[i] - (best - bl[i])
        pay[i] = min(bl[i], max(p, reserve, 0.0))
    return winners, pay


# --------------------------------------------------------------------------- entry point
def run_auction(
    mechanism: str,
    bids: np.ndarray,
    lengths: np.ndarray,
    *,
    rng: np.random.Generator,
    reserve: float = 0.0,
    cap: float | None = None,
    top_k: int = 1,
    temperature: float = 0.1,
) -> AuctionResult:
    """Run one auction round (see the module docstring for each mechanism's rules).

    Args:
        mechanism: one of ``MECHANISMS``.
        bids: float array (n,) in [0, 1]; 0 or a bid below ``reserve`` means "not participating".
        lengths: int array (n,) of each bidder's message length in tokens.
        rng: the caller's generator; the only source of randomness (ties, softmax sampling).
        reserve: minimum bid to participate and minimum payment, in [0, 1].
        cap: total token cap for this round's broadcasts (None = unlimited).
        top_k: maximum number of winners (must be 1 for ``second_price``).
        temperature: softmax temperature (> 0), used by ``softmax`` only.

    Returns:
        The :class:`AuctionResult`.
    """
    bl, ll = _validate(mechanism, bids, lengths, rng, reserve, cap, top_k, temperature)
    n = len(bl)
    k = int(top_k)
    elig = [
        i for i in range(n) if bl[i] > 0.0 and bl[i] >= reserve and (cap is None or ll[i] <= cap)
    ]
    if not elig:
        return _result(n, [], {}, bl)
    tie = rng.random(n).tolist()  # uniform random tie-break keys

    if mechanism == "vcg":
        winners, pay = _vcg(elig, bl, ll, cap, k, reserve, tie, rng)
        return _result(n, winners, pay, bl)

    if mechanism == "softmax":
        bmax = max(bl[i] for i in elig)
        g = rng.gumbel(size=len(elig)).tolist()
        keyed = [((bl[i] - bmax) / temperature + g[j], tie[i]) for j, i in enumerate(elig)]
        order = [
            elig[j] for j in sorted(range(len(elig)), key=lambda j: (-keyed[j][0], keyed[j][1]))
        ]
        winners = _greedy(order, ll, cap, k)
        wset = set(winners)
        losing = max((bl[i] for i in elig if i not in wset), default=0.0)
        price = max(reserve, losing)
        return _result(n, winners, {i: min(bl[i], price) for i in winners}, bl)

    order = sorted(elig, key=lambda i: (-bl[i], tie[i]))
    winners = _greedy(order, ll, cap, k)
    if mechanism == "first_price":
        return _result(n, winners, {i: bl[i] for i in winners}, bl)
    # second_price (k == 1) and top_k: one uniform price from the highest losing bid.
    wset = set(winners)
    losing = max((bl[i] for i in elig if i not in wset), default=0.0)
    price = min(min(bl[i] for i in winners), max(losing, reserve))
    return _result(n, winners, dict.fromkeys(winners, price), bl)

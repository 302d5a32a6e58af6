"""auction_v0's mechanisms on a batch of auctions at once (torch).

:func:`run_auctions` settles ``B`` auctions of ``n`` bidders with the rules of
:func:`econ_env.envs.auction.mechanism.run_auction` (its docstring states them): eligibility
(bid > 0, >= reserve, own length fits the cap), uniform random tie-breaking, greedy fitting
under the cap for ``first_price`` / ``second_price`` / ``top_k`` and Gumbel-top-k for
``softmax`` with their payment rules, and budget-constrained VCG with Clarke payments — the
top-k shortcut when the cap cannot bind, exact enumeration of every subset otherwise. The text
env's VCG switches to a knapsack DP above 10 eligible bidders; the batched one enumerates up to
:data:`VCG_MAX_AGENTS` bidders and refuses more (a ``ValueError`` at construction).
"""

from __future__ import annotations

from functools import cache

import torch

from econ_env.vector.sim import FLOAT

__all__ = ["VCG_MAX_AGENTS", "run_auctions"]

VCG_MAX_AGENTS = 12
_TIE_EPS = 1e-6  # relative welfare ties (float32 sums)


def _order(key: torch.Tensor, tie: torch.Tensor) -> torch.Tensor:
    """Indices sorting each row by ``key`` ascending, ties broken by ``tie`` ascending."""
    by_tie = torch.argsort(tie, dim=1, stable=True)
    by_key = torch.argsort(key.gather(1, by_tie), dim=1, stable=True)
    return by_tie.gather(1, by_key)


def _greedy(
    order: torch.Tensor, elig: torch.Tensor, lengths: torch.Tensor, cap: torch.Tensor, k: int
) -> torch.Tensor:
    """Winners taking candidates in ``order`` that still fit the cap, up to ``k`` of them."""
    win = torch.zeros_like(elig)
    used = torch.zeros_like(cap)
    count = torch.zeros(elig.shape[0], dtype=torch.int64, device=elig.device)
    for j in range(order.shape[1]):
        cand = order[:, j : j + 1]
        ln = lengths.gather(1, cand)[:, 0].to(cap.dtype)
        take = elig.gather(1, cand)[:, 0] & (used + ln <= cap) & (count < k)
        win.scatter_(1, cand, take[:, None])
        used = used + torch.where(take, ln, 0.0)
        count = count + take.to(torch.int64)
    return win


def _max_where(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return torch.where(mask, values, 0.0).amax(dim=1)


@cache
def _subsets(n: int, device: str) -> torch.Tensor:
    codes = torch.arange(1 << n, device=device)[:, None]
    return ((codes >> torch.arange(n, device=device)) & 1).to(torch.bool)


def _vcg(
    bids: torch.Tensor,
    elig: torch.Tensor,
    lengths: torch.Tensor,
    cap: torch.Tensor,
    k: int,
    reserve: float,
    tie: torch.Tensor,
    gen: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    n = bids.shape[1]
    m = elig.sum(1)
    kk = torch.clamp(m, max=k)
    # top-k shortcut (the cap cannot bind)
    ln_e = torch.where(elig, lengths, 0)
    longest = torch.sort(ln_e, dim=1, descending=True).values
    rank = torch.arange(n, device=bids.device)[None, :]
    binds = (longest * (rank < kk[:, None])).sum(1).to(FLOAT) > cap
    order = _order(torch.where(elig, -bids, torch.inf), tie)
    pos = torch.argsort(order, dim=1)  # position of each bidder in the order
    top_win = elig & (pos < kk[:, None])
    nxt_idx = order.gather(1, kk.clamp(max=n - 1)[:, None])[:, 0]
    nxt = torch.where(m > kk, bids.gather(1, nxt_idx[:, None])[:, 0], 0.0)
    top_pay = torch.minimum(bids, nxt.clamp(min=reserve)[:, None])
    win, pay = top_win, torch.where(top_win, top_pay, 0.0)
    rows = torch.nonzero(binds).flatten()
    if rows.numel():
        masks = _subsets(n, str(bids.device))  # (S, n)
        b, ln, el, c = bids[rows], lengths[rows].to(FLOAT), elig[rows], cap[rows]
        mf = masks.to(FLOAT)
        vals = b @ mf.T  # (R, S)
        inside = ~(masks[None, :, :] & ~el[:, None, :]).any(-1)
        feasible = inside & ((ln @ mf.T) <= c[:, None]) & (masks.sum(1)[None, :] <= kk[rows, None])
        fv = torch.where(feasible, vals, -torch.inf)
        best = fv.amax(1)
        cands = fv >= (best - _TIE_EPS * best.abs())[:, None]
        noise = torch.rand(cands.shape, generator=gen, device=bids.device, dtype=FLOAT)
        pick = torch.argmax(torch.where(cands, noise, -1.0), dim=1)
        chosen = masks[pick]  # (R, n)
        without = torch.where(masks[None, :, :], -torch.inf, fv[:, :, None]).amax(1)  # (R, n)
        clarke = without - (best[:, None] - b)
        p = torch.minimum(b, clarke.clamp(min=max(reserve, 0.0)))
        win = win.index_copy(0, rows, chosen)
        pay = pay.index_copy(0, rows, torch.where(chosen, p, 0.0))
    return win, pay


def run_auctions(
    mechanism: str,
    bids: torch.Tensor,
    lengths: torch.Tensor,
    cap: torch.Tensor,
    gen: torch.Generator,
    *,
    reserve: float = 0.0,
    top_k: int = 1,
    temperature: float = 0.1,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Settle ``B`` auctions: ``bids`` (B, n) float32 in [0, 1], ``lengths`` (B, n) int64,
    ``cap`` (B,) float32. Returns ``(winners (B, n) bool, payments (B, n) float32,
    clearing_price (B,) float32)`` (the mean payment of the winners, 0 without one)."""
    elig = (bids > 0.0) & (bids >= reserve) & (lengths.to(FLOAT) <= cap[:, None])
    tie = torch.rand(bids.shape, generator=gen, device=bids.device, dtype=FLOAT)
    if mechanism == "vcg":
        win, pay = _vcg(bids, elig, lengths, cap, top_k, reserve, tie, gen)
    elif mechanism == "softmax":
        bmax = torch.where(elig, bids, -torch.inf).amax(1, keepdim=True)
        u = torch.rand(bids.shape, generator=gen, device=bids.device, dtype=FLOAT)
        gumbel = -torch.log(-torch.log(u.clamp(min=1e-300)))
        key = (bids - bmax) / temperature + gumbel
        order = _order(torch.where(elig, -key, torch.inf), tie)
        win = _greedy(order, elig, lengths, cap, top_k)
        price = _max_where(bids, elig & ~win).clamp(min=reserve)
        pay = torch.where(win, torch.minimum(bids, price[:, None]), 0.0)
    else:
        order = _order(torch.where(elig, -bids, torch.inf), tie)
        win = _greedy(order, elig, lengths, cap, top_k)
        if mechanism == "first_price":
            pay = torch.where(win, bids, 0.0)
        else:  # second_price (top_k = 1) and top_k: a uniform price from the best losing bid
            losing = _max_where(bids, elig & ~win).clamp(min=reserve)
            lowest_win = torch.where(win, bids, torch.inf).amin(1)
            price = torch.minimum(lowest_win, losing)
            pay = torch.where(win, price[:, None], 0.0)
    count = win.sum(1)
    clearing = torch.where(count > 0, pay.sum(1) / count.clamp(min=1), 0.0)
    return win, pay, clearing

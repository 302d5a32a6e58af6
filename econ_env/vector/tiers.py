"""auction_v0's tiered mechanisms (DALA's message tiers) on a batch of auctions at once (torch).

:func:`run_tiered_auctions` settles ``B`` auctions in which every bidder offers each of
``n_tiers`` tiers of its message at its own bid, with the rules of
:func:`econ_env.envs.auction.tiers.run_tiered_auction`:

- ``vcg``: a multiple-choice knapsack — the winner set maximises the sum of the winning offers'
  bids with at most one tier per agent, total length ``<= cap`` and at most ``top_k`` winners
  (welfare ties broken uniformly at random); Clarke payments over the same problem, clipped to
  ``[max(reserve, 0), b_i]``. The batched version enumerates every assignment of a tier (or
  none) to every bidder: ``(n_tiers + 1) ** n`` of them, at most :data:`MAX_ASSIGNMENTS`.
- every other mechanism: each agent's one offer is the tier it bids highest for (ties: the
  shorter tier, then the earlier), then :func:`~econ_env.vector.mechanism.run_auctions` runs on
  those offers.

With one tier it is exactly :func:`~econ_env.vector.mechanism.run_auctions` (same results,
same draws).
"""

from __future__ import annotations

from functools import cache

import torch

from econ_env.vector.mechanism import run_auctions
from econ_env.vector.sim import FLOAT

__all__ = ["MAX_ASSIGNMENTS", "best_tiers", "run_tiered_auctions"]

MAX_ASSIGNMENTS = 8192
"""The most tier assignments ``(n_tiers + 1) ** n_agents`` the batched tiered VCG enumerates."""
_TIE_EPS = 1e-6  # relative welfare ties (float32 sums)


def best_tiers(bids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``(B, n)``: per agent the tier of its highest bid (ties: the shorter, then the earlier
    tier), from ``bids`` / ``lengths`` ``(B, n, T)``."""
    t = bids.shape[-1]
    best = torch.zeros(bids.shape[:-1], dtype=torch.int64, device=bids.device)
    for j in range(1, t):
        bb = bids.gather(-1, best[..., None])[..., 0]
        lb = lengths.gather(-1, best[..., None])[..., 0]
        bj, lj = bids[..., j], lengths[..., j]
        better = (bj > bb) | ((bj == bb) & (lj < lb))
        best = torch.where(better, j, best)
    return best


@cache
def _assignments(n: int, t: int, device: str) -> torch.Tensor:
    """``(S, n, t + 1)`` one-hot: every assignment of none (0) or a tier (1..t) to n agents."""
    s = (t + 1) ** n
    codes = torch.arange(s, device=device)[:, None] // ((t + 1) ** torch.arange(n, device=device))
    return torch.nn.functional.one_hot(codes % (t + 1), t + 1).to(FLOAT)


def _tiered_vcg(
    bids: torch.Tensor,
    lengths: torch.Tensor,
    cap: torch.Tensor,
    k: int,
    reserve: float,
    gen: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    b, n, t = bids.shape
    dev = bids.device
    onehot = _assignments(n, t, str(dev))  # (S, n, t+1)
    elig = (bids > 0.0) & (bids >= reserve) & (lengths.to(FLOAT) <= cap[:, None, None])
    zero = torch.zeros(b, n, 1, dtype=FLOAT, device=dev)
    val = torch.cat((zero, torch.where(elig, bids, 0.0)), -1)  # (B, n, t+1)
    bad = torch.cat((zero, (~elig).to(FLOAT)), -1)
    ln = torch.cat((zero, lengths.to(FLOAT)), -1)
    welfare = torch.einsum("bnt,snt->bs", val, onehot)
    count = onehot[:, :, 1:].sum((1, 2))  # (S,)
    feasible = (
        (torch.einsum("bnt,snt->bs", bad, onehot) == 0)
        & (torch.einsum("bnt,snt->bs", ln, onehot) <= cap[:, None])
        & (count[None, :] <= k)
    )
    fv = torch.where(feasible, welfare, -torch.inf)  # the empty assignment is always feasible
    best = fv.amax(1)
    cands = fv >= (best - _TIE_EPS * best.abs())[:, None]
    noise = torch.rand(cands.shape, generator=gen, device=dev, dtype=FLOAT)
    pick = torch.argmax(torch.where(cands, noise, -1.0), dim=1)
    chosen = onehot[pick]  # (B, n, t+1)
    win = chosen[:, :, 0] == 0
    tier = torch.where(win, chosen[:, :, 1:].argmax(-1), -1)
    bid_won = (chosen * val).sum(-1)  # (B, n)
    idle = onehot[:, :, 0] > 0  # (S, n): agent i gets nothing
    without = torch.where(idle[None], fv[:, :, None], -torch.inf).amax(1)  # (B, n)
    clarke = without - (best[:, None] - bid_won)
    pay = torch.where(win, torch.minimum(bid_won, clarke.clamp(min=max(reserve, 0.0))), 0.0)
    return win, pay, tier


def run_tiered_auctions(
    mechanism: str,
    bids: torch.Tensor,
    lengths: torch.Tensor,
    cap: torch.Tensor,
    gen: torch.Generator,
    *,
    reserve: float = 0.0,
    top_k: int = 1,
    temperature: float = 0.1,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Settle ``B`` tiered auctions: ``bids`` (B, n, T) float32 in [0, 1], ``lengths`` (B, n,
    T) int64, ``cap`` (B,) float32. Returns ``(winners (B, n) bool, payments (B, n) float32,
    clearing_price (B,) float32, tier (B, n) int64: the broadcast tier, -1 for a loser)``."""
    b, n, t = bids.shape
    if t == 1 or mechanism != "vcg":
        tier = (
            torch.zeros(b, n, dtype=torch.int64, device=bids.device)
            if t == 1
            else best_tiers(bids, lengths)
        )
        offer = bids.gather(-1, tier[..., None])[..., 0]
        length = lengths.gather(-1, tier[..., None])[..., 0]
        win, pay, price = run_auctions(
            mechanism, offer, length, cap, gen, reserve=reserve, top_k=top_k,
            temperature=temperature,
        )  # fmt: skip
        return win, pay, price, torch.where(win, tier, -1)
    if (t + 1) ** n > MAX_ASSIGNMENTS:
        raise ValueError(
            f"tiers: the batched tiered VCG enumerates (n_tiers + 1) ** n_agents <= "
            f"{MAX_ASSIGNMENTS} assignments, got {(t + 1) ** n}"
        )
    win, pay, tier = _tiered_vcg(bids, lengths, cap, top_k, reserve, gen)
    count = win.sum(1)
    price = torch.where(count > 0, pay.sum(1) / count.clamp(min=1), 0.0)
    return win, pay, price, tier

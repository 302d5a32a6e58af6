"""Self-consistent first drafts in the batched auction (``draft_samples``), as in the text env
(:mod:`econ_env.envs.auction.samples`): each agent keeps the first of its k samples holding
their most common answer, and until it revises every sample votes in the ``majority`` rule."""

from __future__ import annotations

import torch

from econ_env.vector.sim import plurality

__all__ = ["keep_sample", "vote_plurality"]


def keep_sample(
    outs: list[dict[str, torch.Tensor]],
) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    """From k samples (each a dict of ``(R,)`` tensors with an ``answer`` and ``tokens``), the
    kept sample's fields, the other samples' tokens ``(R,)`` and the votes ``(R, k)``.

    The kept sample is the first one holding the row's most common valid answer (``>= 0``;
    ties: the answer sampled first), or the first sample when none is valid.
    """
    votes = torch.stack([o["answer"] for o in outs], 1)
    plural, _ = plurality(votes)
    first = (votes == plural[:, None]).to(torch.int8).argmax(1)
    idx = torch.where(plural >= 0, first, 0)[:, None]
    kept = {name: torch.stack([o[name] for o in outs], 1).gather(1, idx)[:, 0] for name in outs[0]}
    total = torch.stack([o["tokens"] for o in outs], 1).sum(1)
    return kept, total - kept["tokens"], votes


def vote_plurality(answers: torch.Tensor, votes: torch.Tensor) -> torch.Tensor:
    """The most common valid vote of each row of ``votes`` (``(B, M)``, ``-1`` = none); ties go
    to the answer of the lowest-index draft in ``answers`` (``(B, n)``) holding it, then to the
    vote cast first; ``-1`` when no vote is valid."""
    cand = torch.cat([answers, votes], 1)
    counts = torch.zeros(cand.shape, dtype=torch.int64, device=cand.device)
    valid = votes >= 0
    for j in range(votes.shape[1]):  # M = n·k votes: small
        counts += (cand == votes[:, j : j + 1]) & valid[:, j : j + 1]
    counts *= cand >= 0
    best, first = counts.max(-1)
    return torch.where(best > 0, cand.gather(1, first[:, None])[:, 0], -1)

"""Self-consistent first drafts of auction_v0 (the ``draft_samples`` config field).

With ``draft_samples = k > 1`` every agent's first draft is drawn k times (k requests with
their own seeds, in one batched call with everyone else's). :func:`expand` makes the samples
nested: sample 0 of every agent is the single-draft game's request (same seed), and sample j's
seeds are drawn after sample j - 1's for every agent, so k + 1 samples hold the k samples'
requests (common random numbers across k; on a real model through the cache, raising k only
asks for the new samples). :func:`choose` keeps, per agent,
the first sample holding its samples' most common answer (ties: the answer sampled first);
that sample is the agent's draft — what it bids on, may broadcast, is billed for and compresses
into tiers — and the answers of all k samples are its votes in the ``majority`` answer rule
until it revises (:meth:`~econ_env.envs.auction.signals.AuctionSignals.vote_plurality`).
:func:`record_extra` writes the other samples to the ledger as generated tokens (never billed),
so generated tokens count every sample. With k = 1 nothing here runs and the game is the
single-draft one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from econ_env.core.ledger import Role, TokenLedger
from econ_env.envs.auction.signals import most_common
from econ_env.llm.base import Completion, GenRequest
from econ_env.tasks.answers import extract_answer, normalize_answer

__all__ = ["choose", "expand", "record_extra", "sample_answers"]


def expand(requests: Sequence[GenRequest], k: int, rng: np.random.Generator) -> list[GenRequest]:
    """The ``n·k`` sample requests (agent-major) of one request per agent: sample 0 is the
    agent's request, sample ``j >= 1`` a copy with a seed drawn from ``rng`` sample-major (all
    agents' sample 1, then all agents' sample 2, ...), so k + 1 samples extend the k samples."""
    if k < 1:
        raise ValueError(f"expand: k must be >= 1, got {k}")
    extra = [
        [dataclasses.replace(r, seed=int(rng.integers(2**31 - 1))) for r in requests]
        for _ in range(k - 1)
    ]
    return [s for i, r in enumerate(requests) for s in (r, *(e[i] for e in extra))]


def sample_answers(completions: Sequence[Completion], kind: str) -> list[str | None]:
    """The normalised answer of each completion."""
    return [normalize_answer(extract_answer(c.text, kind), kind) for c in completions]


def choose(answers: Sequence[str | None], k: int) -> tuple[list[int], list[tuple[str | None, ...]]]:
    """For answers of ``n·k`` samples (agent-major), the index of each agent's kept sample and
    the votes of its k samples.

    The kept sample is the first one whose answer is the most common non-empty answer among
    that agent's samples (ties: the answer sampled first); when no sample has an answer, the
    first sample.
    """
    if k < 1 or len(answers) % k:
        raise ValueError(f"choose: {len(answers)} answers is not a multiple of k={k}")
    kept: list[int] = []
    votes: list[tuple[str | None, ...]] = []
    for start in range(0, len(answers), k):
        own = list(answers[start : start + k])
        best = most_common(own, own)
        kept.append(start + (own.index(best) if best is not None else 0))
        votes.append(tuple(own))
    return kept, votes


def record_extra(
    ledger: TokenLedger,
    agents: Sequence[str],
    completions: Sequence[Completion],
    kept: Sequence[int],
    k: int,
    round_: int,
) -> None:
    """Record every sample but the kept ones as generated (unbilled) draft calls."""
    keep = set(kept)
    for j, c in enumerate(completions):
        if j not in keep:
            ledger.record(
                agents[j // k], Role.DRAFT, c.prompt_tokens, c.completion_tokens, billed=0,
                round=round_,
            )  # fmt: skip

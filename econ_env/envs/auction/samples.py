"""Self-consistent first drafts of auction_v0 (the ``draft_samples`` config field).

With ``draft_samples = k > 1`` every agent's first draft is drawn k times (k requests with
their own seeds, in one batched call with everyone else's). :func:`choose` keeps, per agent,
the first sample holding its samples' most common answer (ties: the answer sampled first);
that sample is the agent's draft — what it bids on, may broadcast, is billed for and compresses
into tiers — and the answers of all k samples are its votes in the ``majority`` answer rule
until it revises (:meth:`~econ_env.envs.auction.signals.AuctionSignals.vote_plurality`).
:func:`record_extra` writes the other samples to the ledger as generated tokens (never billed),
so generated tokens count every sample. With k = 1 nothing here runs and the game is the
single-draft one.
"""

from __future__ import annotations

from collections.abc import Sequence

from econ_env.core.ledger import Role, TokenLedger
from econ_env.envs.auction.signals import most_common
from econ_env.llm.base import Completion
from econ_env.tasks.answers import extract_answer, normalize_answer

__all__ = ["choose", "record_extra", "sample_answers"]


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

"""The records of auction_v0's game: drafts (and their tier messages), decoded bids, heard
broadcasts, settled rounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from econ_env.core.beliefs import GenerationParams
from econ_env.llm.base import Completion

__all__ = ["Bid", "Draft", "Heard", "RoundRecord", "TierMessage"]


class TierMessage(NamedTuple):
    """One tier of a draft (DALA's tiered messages): the draft itself for ``full``, else a
    compression; ``call_index`` is the ledger entry its broadcast is billed against."""

    tier: str
    text: str
    answer: str | None
    completion: Completion
    call_index: int


@dataclass
class Draft:
    """An agent's current draft and what of it has been billed; ``tiers``: one message per
    configured tier when ``tiers`` is not ``("full",)`` (else empty); ``votes``: the answers of
    every sample behind a self-consistent first draft (``draft_samples`` > 1; else empty: the
    draft's own answer is its only vote)."""

    text: str
    answer: str | None
    completion: Completion
    call_index: int
    prompt_billed: bool = False
    spoken: bool = False
    tiers: tuple[TierMessage, ...] = ()
    votes: tuple[str | None, ...] = ()


@dataclass
class RoundRecord:
    """What happened in one settled round (for rendering and traces); ``tiers``: per agent the
    index of the tier it broadcast (-1: silent), only with several tiers (else empty)."""

    round: int
    bids: tuple[float, ...]
    winners: tuple[int, ...]
    payments: tuple[float, ...]
    clearing_price: float
    billed: int
    messages: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    tiers: tuple[int, ...] = ()


class Bid(NamedTuple):
    """One bidder's decoded action: its bid in [0, 1] and, with belief dimensions, the
    generation parameters of its next revision (``None``: unchanged). With several message
    tiers ``tier_bids`` holds the bid for each tier and ``bid`` is their maximum."""

    bid: float
    params: GenerationParams | None = None
    tier_bids: tuple[float, ...] | None = None


class Heard(NamedTuple):
    """A broadcast as a revision prompt quotes it (before it enters the transcript)."""

    speaker: str
    text: str
    answer: str | None

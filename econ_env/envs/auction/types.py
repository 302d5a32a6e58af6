"""The records of auction_v0's game: drafts, decoded bids, heard broadcasts, settled rounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from econ_env.core.beliefs import GenerationParams
from econ_env.llm.base import Completion

__all__ = ["Bid", "Draft", "Heard", "RoundRecord"]


@dataclass
class Draft:
    """An agent's current draft and what of it has been billed."""

    text: str
    answer: str | None
    completion: Completion
    call_index: int
    prompt_billed: bool = False
    spoken: bool = False


@dataclass
class RoundRecord:
    """What happened in one settled round (for rendering and traces)."""

    round: int
    bids: tuple[float, ...]
    winners: tuple[int, ...]
    payments: tuple[float, ...]
    clearing_price: float
    billed: int
    messages: tuple[tuple[str, str], ...] = field(default_factory=tuple)


class Bid(NamedTuple):
    """One bidder's decoded action: its bid in [0, 1] and, with belief dimensions, the
    generation parameters of its next revision (``None``: unchanged)."""

    bid: float
    params: GenerationParams | None = None


class Heard(NamedTuple):
    """A broadcast as a revision prompt quotes it (before it enters the transcript)."""

    speaker: str
    text: str
    answer: str | None

"""What a game hands back to its environment after a settled round."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RoundOutcome"]


@dataclass(frozen=True)
class RoundOutcome:
    """The result of one settled round.

    Attributes:
        rewards: every agent's reward for the round (float64, one per agent, in seat order),
            terminal credit included when the game ended.
        stop_reason: why the game ended after this round, or ``None`` when it goes on.
        truncated: whether that ending is a truncation (the round limit) rather than a
            termination.
    """

    rewards: np.ndarray
    stop_reason: str | None = None
    truncated: bool = False

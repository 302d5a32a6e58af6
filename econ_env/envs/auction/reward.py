"""auction_v0's rewards: reward objects with their own weights, chosen in the config.

A reward object has two methods, both pure functions of what the round produced:

- ``round(billed, payments, budget)``: every bidder's reward for one settled round, from the
  tokens billed to each bidder (``billed[i]``) and each bidder's auction payment (bid units);
- ``final(rewards, correct, supported)``: adds the terminal credit in place, given whether the
  final answer is correct and, per bidder, whether it broadcast the final answer at least once.

Built in:

- :class:`TeamReward` (``reward_mode="team"``, the default): every bidder receives
  ``-cost_weight · billed / budget`` for the tokens billed that round (billed summed over
  bidders) and, at the end, ``+1`` if the final answer is correct.
- :class:`IndividualReward` (``reward_mode="individual"``): each bidder receives minus its own
  auction payment every round and, at the end, ``+1`` if it broadcast the final answer at least
  once and that answer is correct (quasi-linear utility, for mechanism-design studies).

Inject another one with ``auction_v0.env(reward=MyReward())``: any object with these two
methods (and a ``name``) works.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["REWARDS", "AuctionReward", "IndividualReward", "TeamReward", "make_reward"]


@runtime_checkable
class AuctionReward(Protocol):
    """What auction_v0 needs of a reward object."""

    name: str

    def round(self, billed: np.ndarray, payments: np.ndarray, budget: int) -> np.ndarray:
        """Every bidder's reward for one settled round (a float64 array, one per bidder)."""
        ...

    def final(self, rewards: np.ndarray, correct: bool, supported: Sequence[bool]) -> None:
        """Add the terminal credit to ``rewards`` in place."""
        ...


@dataclass(frozen=True)
class TeamReward:
    """Shared reward: ``correct − cost_weight · billed / budget`` spread over the rounds.

    Attributes:
        cost_weight: λ, the weight of the billed tokens (finite, >= 0).
    """

    cost_weight: float = 1.0
    name = "team"

    def __post_init__(self) -> None:
        w = self.cost_weight
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            raise ValueError(f"TeamReward.cost_weight must be a finite float >= 0, got {w!r}")

    def round(self, billed: np.ndarray, payments: np.ndarray, budget: int) -> np.ndarray:
        cost = -self.cost_weight * float(billed.sum()) / budget
        return np.full(len(billed), cost)

    def final(self, rewards: np.ndarray, correct: bool, supported: Sequence[bool]) -> None:
        for i in range(len(rewards)):
            rewards[i] += float(correct)


@dataclass(frozen=True)
class IndividualReward:
    """Quasi-linear utility: minus one's payments, plus 1 for having voiced a correct answer."""

    name = "individual"

    def round(self, billed: np.ndarray, payments: np.ndarray, budget: int) -> np.ndarray:
        return -np.asarray(payments)

    def final(self, rewards: np.ndarray, correct: bool, supported: Sequence[bool]) -> None:
        for i, voiced in enumerate(supported):
            if correct and voiced:
                rewards[i] += 1.0


REWARDS = {"team": TeamReward, "individual": IndividualReward}
"""The built-in rewards by ``reward_mode`` name."""


def make_reward(reward_mode: str, cost_weight: float) -> AuctionReward:
    """The built-in reward named ``reward_mode`` (``cost_weight`` is the team reward's λ)."""
    if reward_mode == "team":
        return TeamReward(cost_weight)
    if reward_mode == "individual":
        return IndividualReward()
    raise ValueError(f"unknown reward_mode {reward_mode!r}; one of {sorted(REWARDS)}")

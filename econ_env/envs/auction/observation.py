"""Observation layout of auction_v0: a float32 vector with named slices, every value in [0, 1].

=====  =================  ==========================================================
index  name               meaning
=====  =================  ==========================================================
0      budget_left        remaining billed budget / budget
1      round              rounds played / max_rounds
2      draft_length       own draft's completion tokens / max_draft_tokens
3      confidence         exp(own draft's mean log-probability)
4      entropy            1 − exp(−own draft's mean entropy)  (0 = certain)
5      agrees_plurality   1 if the own draft's answer is the current plurality answer
6      distinct_answers   number of distinct answers among all drafts / n_agents
7      last_price         clearing price of the last settled round (bid units)
8      affordable         1 if the own draft fits the remaining budget and the round cap
9      prev_bid           own bid in the last settled round
10..   last_speakers      n_agents entries: 1 for each winner of the last round
..     agent_id           n_agents entries: one-hot of the own index
..     task               TASK_FEATURE_DIM entries: ``econ_env.tasks.features.task_features``
=====  =================  ==========================================================

The "plurality" and "distinct answers" statistics are public signals the auctioneer
announces (how many different answers are on the table and whether yours leads), not
other agents' draft text: an agent never observes an unbroadcast draft.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from econ_env.envs.layout import scalar_index
from econ_env.tasks.features import TASK_FEATURE_DIM

SCALARS: tuple[str, ...] = (
    "budget_left",
    "round",
    "draft_length",
    "confidence",
    "entropy",
    "agrees_plurality",
    "distinct_answers",
    "last_price",
    "affordable",
    "prev_bid",
)


@dataclass(frozen=True)
class ObsLayout:
    """Named index ranges of the observation vector for ``n_agents`` bidders."""

    n_agents: int

    @property
    def size(self) -> int:
        """Length of the observation vector."""
        return len(SCALARS) + 2 * self.n_agents + TASK_FEATURE_DIM

    def index(self, name: str) -> int:
        """Index of a scalar field (``ValueError`` naming the allowed names otherwise)."""
        return scalar_index(SCALARS, name)

    @property
    def last_speakers(self) -> slice:
        start = len(SCALARS)
        return slice(start, start + self.n_agents)

    @property
    def agent_id(self) -> slice:
        start = len(SCALARS) + self.n_agents
        return slice(start, start + self.n_agents)

    @property
    def task(self) -> slice:
        start = len(SCALARS) + 2 * self.n_agents
        return slice(start, start + TASK_FEATURE_DIM)

    def field(self, obs: np.ndarray, name: str) -> float | np.ndarray:
        """Read a named field of ``obs`` (a scalar, ``last_speakers``, ``agent_id`` or ``task``)."""
        if name in ("last_speakers", "agent_id", "task"):
            return obs[getattr(self, name)]
        return float(obs[self.index(name)])


def confidence_of(mean_logprob: float) -> float:
    """Map a mean log-probability (<= 0) to (0, 1]."""
    return math.exp(min(mean_logprob, 0.0))


def entropy_feature(mean_entropy: float) -> float:
    """Map a mean entropy in nats (>= 0) to [0, 1)."""
    return 1.0 - math.exp(-max(mean_entropy, 0.0))

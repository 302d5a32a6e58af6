"""Observation layout of debate_v0: a float32 vector with named slices, every value in [0, 1].

=====  ====================  ======================================================
index  name                  meaning
=====  ====================  ======================================================
0      budget_left           remaining billed budget / budget
1      round                 rounds played / max_rounds
2      strategy_length       strategy tokens / strategy_cap
3      strategy_truncated    1 if the strategy hit the hard cap and was cut
4..7   strategy_features     4 hashed word-bucket shares of the strategy text
8      agrees_commitment     1 if the own last answer equals the commitment's answer
9      commitment_similarity embedding similarity of own answer and commitment, in [0, 1]
10     peers_agreement       share of the other executors whose answer equals the commitment
11     distinct_answers      number of distinct executor answers / n_agents
12     agrees_local          1 if the own answer equals the own group's local commitment
                             (equals ``agrees_commitment`` when ``groups = 1``)
13     commitment_changed    1 if the commitment's answer changed in the last round
14..   previous_belief       belief_dim entries: the own last belief mapped to [0, 1]
..     agent_id              n_agents entries: one-hot of the own index
..     task                  TASK_FEATURE_DIM entries: ``econ_env.tasks.features.task_features``
=====  ====================  ======================================================

Before the first round the round statistics (8..13) and the previous belief are 0. The peer
statistics are aggregates the coordinator announces; an executor never observes another
executor's answer text.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from econ_env.envs.layout import scalar_index
from econ_env.tasks.features import TASK_FEATURE_DIM

SCALARS: tuple[str, ...] = (
    "budget_left",
    "round",
    "strategy_length",
    "strategy_truncated",
    "strategy_f0",
    "strategy_f1",
    "strategy_f2",
    "strategy_f3",
    "agrees_commitment",
    "commitment_similarity",
    "peers_agreement",
    "distinct_answers",
    "agrees_local",
    "commitment_changed",
)
STRATEGY_FEATURES = slice(4, 8)


@dataclass(frozen=True)
class DebateObsLayout:
    """Named index ranges of the observation vector."""

    n_agents: int
    belief_dim: int

    @property
    def size(self) -> int:
        """Length of the observation vector."""
        return len(SCALARS) + self.belief_dim + self.n_agents + TASK_FEATURE_DIM

    def index(self, name: str) -> int:
        """Index of a scalar field (``ValueError`` naming the allowed names otherwise)."""
        return scalar_index(SCALARS, name)

    @property
    def previous_belief(self) -> slice:
        return slice(len(SCALARS), len(SCALARS) + self.belief_dim)

    @property
    def agent_id(self) -> slice:
        start = len(SCALARS) + self.belief_dim
        return slice(start, start + self.n_agents)

    @property
    def task(self) -> slice:
        start = len(SCALARS) + self.belief_dim + self.n_agents
        return slice(start, start + TASK_FEATURE_DIM)


def strategy_features(text: str) -> np.ndarray:
    """4 hashed word-bucket shares of ``text`` (stable across processes; zeros for empty text)."""
    out = np.zeros(4, dtype=np.float32)
    words = text.lower().split()
    for w in words:
        out[zlib.crc32(w.encode()) % 4] += 1.0
    if words:
        out /= len(words)
    return out

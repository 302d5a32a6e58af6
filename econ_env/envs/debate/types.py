"""The record of one settled debate_v0 round (for infos, rendering and traces)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from econ_env.core.beliefs import GenerationParams
from econ_env.envs.debate.reward import RewardBreakdown

__all__ = ["RoundRecord"]


@dataclass
class RoundRecord:
    """One settled round (for infos, rendering and traces)."""

    round: int
    beliefs: np.ndarray
    params: list[GenerationParams]
    texts: list[str]
    answers: list[str | None]
    local: list[tuple[str, str | None]]  # (text, answer) per group; empty when groups = 1
    commitment: str
    commitment_answer: str | None
    similarity: list[float]
    rewards: list[RewardBreakdown]
    billed: int
    tokens: list[int] = field(default_factory=list)  # billed tokens of each executor

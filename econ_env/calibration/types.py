"""The result types calibration's modules share: a recorded completion (:class:`TraceRow`), a
logit estimate with its interval (:class:`SkillEstimate`) and the fit's account of itself
(:class:`FitReport`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from econ_env.llm.simulated.params import SimParams

__all__ = ["FitReport", "SkillEstimate", "TraceRow"]


@dataclass(frozen=True)
class TraceRow:
    """One recorded completion with what the fit needs (see
    :func:`~econ_env.calibration.record.record_traces`)."""

    game: str
    episode: int
    episode_seed: int
    item_id: str
    kind: str
    gold: str
    difficulty: float
    n_choices: int
    role: str
    agent_index: int
    temperature: float
    top_p: float
    repetition_penalty: float
    max_tokens: int
    answer: str | None
    correct: bool
    has_answer: bool
    prompt_tokens: int
    prompt_chars: int
    n_messages: int
    completion_tokens: int
    finish_reason: str
    mean_logprob: float
    mean_entropy: float
    heard: tuple[str, ...] = ()
    own_answer: str | None = None
    strategy_good: bool | None = None
    adopted_plurality: bool | None = None
    kept_own: bool | None = None
    episode_correct: bool | None = None
    facts_known: float = 1.0
    learned: bool = False
    tier: str | None = None
    source_tokens: int = 0
    heard_tiers: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TraceRow:
        """A row from its JSON form (``ValueError`` naming unknown or missing fields)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown TraceRow field(s) {unknown}")
        try:
            return cls(
                **{
                    **data,
                    "heard": tuple(data.get("heard", ())),
                    "heard_tiers": tuple(data.get("heard_tiers", ())),
                }
            )
        except TypeError as err:
            raise ValueError(f"bad TraceRow: {err}") from None


@dataclass(frozen=True)
class SkillEstimate:
    """A logit estimate with its 95% Wald interval and the number of rows behind it."""

    name: str
    value: float
    low: float
    high: float
    n: int


@dataclass
class FitReport:
    """How each field was obtained, the skill estimates and the equal-skill test.

    ``fitted`` maps a field to a one-line description of its estimator and data; ``kept`` maps
    a field to the reason it kept the base value. ``comparison`` is filled by
    :func:`~econ_env.calibration.report.simulate_report` (metric -> (real, n_real, sim, n_sim)).
    """

    params: SimParams
    n_rows: int
    fitted: dict[str, str] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)
    estimates: list[SkillEstimate] = field(default_factory=list)
    skill_mode: str = "auto"
    equal_skill_p: float = math.nan
    notes: list[str] = field(default_factory=list)
    comparison: dict[str, tuple[float, int, float, int]] = field(default_factory=dict)

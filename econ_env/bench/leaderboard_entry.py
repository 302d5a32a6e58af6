"""The leaderboard's rows: :class:`Entry` (one submission) and :class:`CaseRow` (one case of it),
and the parsing of a submission's ``results.json`` into them.

``results.json`` comes from a stranger: it is read size-capped and never through a symbolic link,
parsed as bounded strict JSON (:func:`econ_env.bench.safe_json.loads_bounded`), every number is
checked (finite, in range, ``[lo, hi]`` intervals ordered) and every string shortened and made
display-safe. A bad field raises ``ValueError`` naming it; the builder lists such a submission
as invalid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from econ_env.bench.leaderboard_badges import BADGES
from econ_env.bench.leaderboard_model import TRACKS, read_json_object
from econ_env.bench.limits import MAX_RESULTS_BYTES
from econ_env.bench.safe_text import display_safe

__all__ = ["STATUSES", "CaseRow", "Entry", "entry_from_results", "read_results", "short"]

STATUSES = ("verified", "partial", "unverified", "invalid")


@dataclass(frozen=True)
class CaseRow:
    """One submission's numbers on one suite case (task)."""

    case: str
    episodes: int
    accuracy: float
    billed_tokens: float
    generated_tokens: float

    def __post_init__(self) -> None:
        if self.episodes < 0:
            raise ValueError(f"episodes must be >= 0, got {self.episodes}")
        if not 0.0 <= self.accuracy <= 1.0:
            raise ValueError(f"accuracy must be in [0, 1], got {self.accuracy}")


@dataclass(frozen=True)
class Entry:
    """One submission as shown on the leaderboard (numbers are ``None`` when invalid).

    ``scope`` is the run's limit/budgets when it is not the suite's complete set; ``track`` is
    ``""`` when the metadata cannot be read (the entry is then unplaced); ``badges`` and
    ``badge_notes`` follow :mod:`econ_env.bench.leaderboard_badges`; ``rank`` (within the
    track) is set for ``ranked`` entries only.
    """

    name: str
    status: str
    reason: str = ""
    policy: str = ""
    suite: str = ""
    suite_version: str = ""
    episodes: int | None = None
    accuracy: float | None = None
    accuracy_ci: tuple[float, float] | None = None
    billed_tokens: float | None = None
    billed_ci: tuple[float, float] | None = None
    generated_tokens: float | None = None
    generated_ci: tuple[float, float] | None = None
    accuracy_per_1k_generated: float | None = None
    per_case: tuple[CaseRow, ...] = field(default_factory=tuple)
    scope: str = ""
    rank: int | None = None
    track: str = ""
    backend: str = ""
    model_id: str = ""
    revision: str = ""
    weights_digest: str = ""
    simulator: str = ""
    decoding: str = ""
    badges: tuple[str, ...] = ()
    badge_notes: dict[str, str] = field(default_factory=dict)
    ranked: bool = False

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.status != "invalid" and self.accuracy is None:
            raise ValueError("accuracy must be set unless status is 'invalid'")
        if self.track not in (*TRACKS, ""):
            raise ValueError(f"track must be one of {TRACKS} or '', got {self.track!r}")
        if unknown := [b for b in self.badges if b not in BADGES]:
            raise ValueError(f"unknown badges {unknown}; allowed: {BADGES}")
        if self.ranked and (self.status != "verified" or not self.track):
            raise ValueError(
                f"only verified entries in a track are ranked, got status {self.status!r}"
            )
        if self.rank is not None and not self.ranked:
            raise ValueError("only ranked entries have a rank")


def _num(d: Mapping[str, Any], key: str, lo: float = 0.0, hi: float = math.inf) -> float:
    v = d.get(key)
    ok = isinstance(v, (int, float)) and not isinstance(v, bool)
    if not ok or not math.isfinite(float(v)):  # ints are bounded by loads_bounded
        raise ValueError(f"{key!r} must be a finite number, got {short(repr(v))}")
    if not lo <= v <= hi:
        raise ValueError(f"{key!r} must be in [{lo}, {hi}], got {v}")
    return float(v)


def _ci(d: Mapping[str, Any], key: str, hi: float = math.inf) -> tuple[float, float]:
    v = d.get(key)
    if not isinstance(v, list) or len(v) != 2:
        raise ValueError(f"{key!r} must be a list [lo, hi], got {short(repr(v))}")
    lo_v, hi_v = (_num({key: x}, key, 0.0, hi) for x in v)
    if lo_v > hi_v:
        raise ValueError(f"{key!r} has lo > hi: {v}")
    return lo_v, hi_v


def _text(d: Mapping[str, Any], key: str) -> str:
    v = d.get(key, "")
    return display_safe(short(v if isinstance(v, str) else repr(v), 256))


def short(s: str, n: int = 200) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def read_results(path: Path) -> dict[str, Any]:
    """Parse a submission's ``results.json`` (:func:`read_json_object`)."""
    return read_json_object(path, "results.json", MAX_RESULTS_BYTES)


def entry_from_results(name: str, data: Mapping[str, Any], status: str, reason: str) -> Entry:
    """Build an :class:`Entry` from a parsed results dict (``ValueError`` on bad fields)."""
    acc = _num(data, "accuracy", 0.0, 1.0)
    gen = _num(data, "generated_tokens")
    per_1k = data.get("accuracy_per_1k_generated")
    if isinstance(per_1k, bool) or not isinstance(per_1k, (int, float)):
        per_1k = 1000.0 * acc / gen if gen > 0 else 0.0
    per_1k = _num({"accuracy_per_1k_generated": per_1k}, "accuracy_per_1k_generated")
    cases = []
    raw_cases = data.get("per_case", {})
    if isinstance(raw_cases, dict):
        for case, row in raw_cases.items():
            if not isinstance(row, dict):
                continue
            try:
                cases.append(
                    CaseRow(
                        case=display_safe(short(str(case), 128)),
                        episodes=int(_num(row, "episodes")),
                        accuracy=_num(row, "accuracy", 0.0, 1.0),
                        billed_tokens=_num(row, "billed_tokens"),
                        generated_tokens=_num(row, "generated_tokens"),
                    )
                )
            except ValueError:
                continue
    return Entry(
        name=name,
        status=status,
        reason=display_safe(reason),
        policy=_text(data, "policy"),
        suite=_text(data, "suite"),
        suite_version=_text(data, "suite_version"),
        episodes=int(_num(data, "episodes")),
        accuracy=acc,
        accuracy_ci=_ci(data, "accuracy_ci", 1.0),
        billed_tokens=_num(data, "billed_tokens"),
        billed_ci=_ci(data, "billed_ci"),
        generated_tokens=gen,
        generated_ci=_ci(data, "generated_ci"),
        accuracy_per_1k_generated=per_1k,
        per_case=tuple(cases),
    )

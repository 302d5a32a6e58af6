"""debate_v0's per-executor reward: ``α1·AL + α2·TS + α3·CC − λ·cost`` (ECON's TS / AL / CC).

The reward object is :class:`DebateReward` (its weights α1, α2, α3, λ), chosen in the config
(``debate_v0.env(reward=DebateReward(al=0.5, ts=0.5, cc=0.0))``, or through the shorthand
fields ``alpha_al``, ``alpha_ts``, ``alpha_cc`` and ``cost_weight``). Another object with the
same ``executor_rewards`` method can be injected instead.

Pure functions over answers and sentence embeddings (numpy only; no environment imports):

- **TS** (task-specific) = 1 if the executor's extracted answer is correct
  (:func:`econ_env.tasks.answers.check_answer`), else 0.
- **AL** (action likelihood, agreement with the commitment) =
  ``0.5 · sim01(e_i, e_c) + 0.5 · [answer_i agrees with the commitment's answer]``
  (:func:`econ_env.tasks.answers.answers_agree`; a missing answer agrees with nothing).
- **CC** (collaborative contribution) = ``0.5 · fidelity + 0.5 · novelty`` with
  ``fidelity = sim01(e_i, e_c)`` and ``novelty = 1 − mean_{j≠i} sim01(e_i, e_j)``; with a single
  executor there are no peers and novelty is defined as the neutral 0.5.
- **cost** = ``costs[i]`` as given by the caller (e.g. tokens / budget), >= 0.

``sim01`` (:func:`similarity01`) is the cosine similarity mapped to [0, 1] as ``(cos + 1) / 2``;
a zero vector (e.g. the hashed embedder's empty text) has cosine 0 with everything, so
``sim01 = 0.5``, never NaN. TS, AL, CC lie in [0, 1]. The total is computed exactly as
``w.al*al + w.ts*ts + w.cc*cc - w.cost*cost`` (in that order, in float64), so a learner can
re-weight the reported components itself and get the same number back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from econ_env.tasks.answers import answers_agree, check_answer

__all__ = [
    "DebateReward",
    "RewardBreakdown",
    "RewardWeights",
    "executor_rewards",
    "similarity01",
]


def _check_weight(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a finite real number >= 0, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < 0.0:
        raise ValueError(f"{name} must be a finite real number >= 0, got {value!r}")
    return v


@dataclass(frozen=True)
class DebateReward:
    """ECON's executor reward with its weights: α1 (``al``), α2 (``ts``), α3 (``cc``) and λ
    (``cost``).

    All finite and >= 0 (stored as floats); defaults are ECON's 0.3 / 0.5 / 0.2 and λ = 1.
    """

    al: float = 0.3
    ts: float = 0.5
    cc: float = 0.2
    cost: float = 1.0
    name = "econ"

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _check_weight(f.name, getattr(self, f.name)))

    def executor_rewards(
        self,
        *,
        answers: Sequence[str | None],
        commitment_answer: str | None,
        gold: str,
        kind: str,
        executor_emb: np.ndarray,
        commitment_emb: np.ndarray,
        costs: Sequence[float],
    ) -> list[RewardBreakdown]:
        """One :class:`RewardBreakdown` per executor with these weights
        (:func:`executor_rewards`)."""
        return executor_rewards(
            answers=answers,
            commitment_answer=commitment_answer,
            gold=gold,
            kind=kind,
            executor_emb=executor_emb,
            commitment_emb=commitment_emb,
            costs=costs,
            weights=self,
        )


RewardWeights = DebateReward
"""The weights of the debate reward (the reward object itself)."""


@dataclass(frozen=True)
class RewardBreakdown:
    """One executor's reward components and their weighted total.

    ``ts``, ``al``, ``cc`` in [0, 1], ``cost`` >= 0, all finite. Built by :meth:`compute`,
    ``total == w.al*al + w.ts*ts + w.cc*cc - w.cost*cost`` exactly as that expression evaluates.
    """

    ts: float
    al: float
    cc: float
    cost: float
    total: float

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise ValueError(f"{f.name} must be a finite real number, got {v!r}")
            if not math.isfinite(float(v)):
                raise ValueError(f"{f.name} must be finite, got {v!r}")
            object.__setattr__(self, f.name, float(v))
        for name in ("ts", "al", "cc"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)!r}")
        if self.cost < 0.0:
            raise ValueError(f"cost must be >= 0, got {self.cost!r}")

    @classmethod
    def compute(
        cls, *, ts: float, al: float, cc: float, cost: float, weights: RewardWeights
    ) -> RewardBreakdown:
        """The breakdown with ``total = w.al*al + w.ts*ts + w.cc*cc - w.cost*cost``."""
        w = weights
        total = w.al * al + w.ts * ts + w.cc * cc - w.cost * cost
        return cls(ts=ts, al=al, cc=cc, cost=cost, total=total)

    def as_dict(self) -> dict[str, float]:
        """``{"ts", "al", "cc", "cost", "total"}`` as plain floats (for ``infos``)."""
        return {"ts": self.ts, "al": self.al, "cc": self.cc, "cost": self.cost, "total": self.total}


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit norm; zero rows stay zero (their cosine with anything is 0)."""
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))
    safe = np.where(norms > 0.0, norms, 1.0)
    return x / safe[:, None]


def _sim01(cos: np.ndarray | float) -> np.ndarray:
    return np.clip((np.asarray(cos, dtype=np.float64) + 1.0) * 0.5, 0.0, 1.0)


def similarity01(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors mapped to [0, 1] as ``(cos + 1) / 2``, clipped.

    For unit vectors the cosine is their dot product; other vectors are normalised first, and a
    zero vector has cosine 0 (so ``similarity01 = 0.5``). Raises ``ValueError`` unless ``a`` and
    ``b`` are finite 1-D arrays of the same length.
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.ndim != 1 or y.shape != x.shape:
        raise ValueError(f"a and b must be 1-D of equal length, got shapes {x.shape}, {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("a and b must be finite")
    units = _unit_rows(np.stack((x, y)))
    return float(_sim01(units[0] @ units[1]))


def executor_rewards(
    *,
    answers: Sequence[str | None],
    commitment_answer: str | None,
    gold: str,
    kind: str,
    executor_emb: np.ndarray,
    commitment_emb: np.ndarray,
    costs: Sequence[float],
    weights: RewardWeights,
) -> list[RewardBreakdown]:
    """One :class:`RewardBreakdown` per executor (see the module docstring for the formulas).

    ``answers[i]`` is executor i's extracted answer (``None`` when none was found);
    ``executor_emb`` is ``(n, d)`` with row i embedding executor i's text, ``commitment_emb`` the
    ``(d,)`` embedding of the commitment text; ``costs[i] >= 0`` is executor i's cost term before
    weighting by ``weights.cost``. Raises ``ValueError`` naming the argument on a shape, length
    or value mismatch (and for an unknown ``kind``).
    """
    if not isinstance(weights, RewardWeights):
        raise ValueError(f"weights must be a RewardWeights, got {type(weights).__name__}")
    answers = list(answers)
    n = len(answers)
    if n < 1:
        raise ValueError("answers must hold at least one executor's answer")
    for i, a in enumerate(answers):
        if a is not None and not isinstance(a, str):
            raise ValueError(f"answers[{i}] must be str or None, got {type(a).__name__}")
    emb = np.asarray(executor_emb, dtype=np.float64)
    if emb.ndim != 2 or emb.shape[0] != n or emb.shape[1] < 1:
        raise ValueError(f"executor_emb must have shape (n={n}, d>=1), got {emb.shape}")
    com = np.asarray(commitment_emb, dtype=np.float64)
    if com.shape != (emb.shape[1],):
        raise ValueError(f"commitment_emb must have shape ({emb.shape[1]},), got {com.shape}")
    if not np.isfinite(emb).all():
        raise ValueError("executor_emb must be finite")
    if not np.isfinite(com).all():
        raise ValueError("commitment_emb must be finite")
    cost = [float(c) for c in costs]
    if len(cost) != n:
        raise ValueError(f"costs must have one entry per executor ({n}), got {len(cost)}")
    for i, c in enumerate(cost):
        if not math.isfinite(c) or c < 0.0:
            raise ValueError(f"costs[{i}] must be finite and >= 0, got {c!r}")

    units = _unit_rows(np.vstack((emb, com[None, :])))
    e, c = units[:-1], units[-1]
    fidelity = _sim01(e @ c)  # (n,)
    if n > 1:
        peer = _sim01(e @ e.T)
        novelty = 1.0 - (peer.sum(axis=1) - np.diag(peer)) / (n - 1)
        novelty = np.clip(novelty, 0.0, 1.0)
    else:
        novelty = np.full(1, 0.5)

    out = []
    for i, ans in enumerate(answers):
        ts = 1.0 if check_answer(ans, gold, kind) else 0.0
        agree = 1.0 if answers_agree(ans, commitment_answer, kind) else 0.0
        fid = float(fidelity[i])
        al = 0.5 * fid + 0.5 * agree
        cc = 0.5 * fid + 0.5 * float(novelty[i])
        out.append(RewardBreakdown.compute(ts=ts, al=al, cc=cc, cost=cost[i], weights=weights))
    return out

"""The simulator's answer model as a likelihood: what calibration's fits share.

:func:`p_fresh` is the simulated probability that a fresh answer is right (skill, difficulty,
temperature, strategy bonus and missing facts); :func:`distractor_weights` the simulated
distribution of a wrong answer. A revision (or a debate answer after a commitment) is scored
by its *outcome class* -- adopted the heard plurality, kept its own answer, or other -- under
the simulator's mixture (adopt with probability ``(influence + truth_bias * plural_ok) * share
* tier_factor * exp(-follow_temperature * dT)``, else keep with ``stickiness + truth_bias *
own_ok``, else answer afresh): :func:`social_columns` turns rows into the mixture's columns and
:func:`class_nll` is its negative log-likelihood, with the tier factor per row so that the
social fit (every heard message full: factor 1) and the tier-influence fit
(:mod:`econ_env.calibration.regime_fit`) use one model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from econ_env.llm.simulated.distractors import answer_key, distractors, plurality, same_answer
from econ_env.llm.simulated.params import SimParams

__all__ = [
    "SocialColumns",
    "class_nll",
    "distractor_weights",
    "p_fresh",
    "plural_rows_tiers",
    "social_columns",
    "social_rows",
]


def p_fresh(r: Any, p: SimParams, offset: bool) -> float:
    """The simulator's probability that a fresh answer of row ``r``'s agent is correct
    (``offset``: add the expected bonus of an unlabelled debate plan)."""
    agent = -1 if r.role == "commitment" else r.agent_index
    logit = p.skill_of(agent) - p.difficulty_weight * (r.difficulty - 0.5)
    logit -= p.temperature_effect * max(0.0, r.temperature - p.t_ref)
    if r.role == "answer" and r.strategy_good:
        logit += p.strategy_bonus
    elif r.role == "answer" and r.strategy_good is None and offset:
        logit += p.strategy_bonus * p.strategy_hint  # the expected bonus of an unlabelled plan
    facts = float(getattr(r, "facts_known", 1.0))
    if facts < 1.0:
        logit -= p.fact_weight * (1.0 - facts)
    return 1.0 / (1.0 + math.exp(-max(min(logit, 700.0), -700.0)))


def distractor_weights(r: Any, skew: float, p: SimParams) -> dict[str, float]:
    """The simulated distribution of row ``r``'s wrong answers (answer key -> probability)."""
    ds = distractors(r.item_id, r.gold, r.kind, r.n_choices)
    if r.kind != "choice":
        ds = ds[: p.n_distractors]
    if not ds:
        return {}
    temp = r.temperature * (r.top_p**p.top_p_focus if p.top_p_focus and r.top_p < 1 else 1.0)
    if temp <= 0.0 or len(ds) == 1:
        w = np.zeros(len(ds))
        w[0] = 1.0
    else:
        w = np.exp(-np.arange(len(ds)) * min(skew / temp, 700.0))
        w /= w.sum()
    return {answer_key(x, r.kind): float(v) for x, v in zip(ds, w, strict=True)}


def social_rows(rows: Sequence[Any]) -> list[Any]:
    """The rows the mixture scores: finished revisions and debate answers that heard something,
    with a final answer (a text without one carries no class), that did not learn new facts (a
    ``split_facts`` agent that learned a fact answers afresh)."""
    return [
        r
        for r in rows
        if r.finish_reason == "stop"
        and r.answer is not None
        and not getattr(r, "learned", False)
        and (r.role == "revise" or (r.role == "answer" and r.heard))
    ]


def plural_rows_tiers(r: Any) -> tuple[str, ...]:
    """The tiers of the heard messages of row ``r`` that carry the heard plurality (``()`` when
    the row records no tiers: every message full)."""
    tiers = tuple(getattr(r, "heard_tiers", ()) or ())
    if not tiers or not r.heard:
        return ()
    plural = plurality(r.heard, r.kind)[0]
    return tuple(t for h, t in zip(r.heard, tiers, strict=True) if same_answer(h, plural, r.kind))


@dataclass(frozen=True)
class SocialColumns:
    """The mixture's per-row columns (see the module docstring)."""

    share: np.ndarray
    pok: np.ndarray
    can_keep: np.ndarray
    own_ok: np.ndarray
    c_pl: np.ndarray
    c_own: np.ndarray
    same: np.ndarray
    q_pl: np.ndarray
    q_own: np.ndarray
    fdt: np.ndarray


def social_columns(sel: Sequence[Any], p: SimParams, offset: bool) -> SocialColumns:
    """The mixture's columns of rows ``sel`` (from :func:`social_rows`) under parameters ``p``."""
    cols = []
    for r in sel:
        x, pf = answer_key(r.answer, r.kind), p_fresh(r, p, offset)
        weights = distractor_weights(r, p.distractor_skew, p)

        def q(y: str | None, r: Any = r, pf: float = pf, weights: dict = weights) -> float:
            """Probability that an answer afresh is ``y`` (the simulator's distractor model)."""
            if y is None:
                return 0.0
            return (
                pf
                if same_answer(y, r.gold, r.kind)
                else (1 - pf) * weights.get(answer_key(y, r.kind), 0)
            )

        plural, share = plurality(r.heard, r.kind) if r.heard else (None, 0.0)
        kp = answer_key(plural, r.kind) if plural is not None else None
        own = r.own_answer if r.role == "revise" or r.heard else None
        ko = answer_key(own, r.kind) if own is not None else None
        pok = float(plural is not None and same_answer(plural, r.gold, r.kind))
        own_ok = float(own is not None and same_answer(own, r.gold, r.kind))
        c_pl, c_own = float(kp is not None and x == kp), float(ko is not None and x == ko != kp)
        fdt = max(0.0, r.temperature - p.t_ref) if r.role == "answer" else 0.0
        same = float(ko is not None and ko == kp)
        qo = 0.0 if ko is None or ko == kp else q(own)
        cols.append((share, pok, own is not None, own_ok, c_pl, c_own, same, q(plural), qo, fdt))
    arr = np.array(cols, float).reshape(-1, 10).T
    return SocialColumns(*arr)


def class_nll(
    c: SocialColumns,
    influence: float,
    stickiness: float,
    truth_bias: float,
    follow_temperature: float,
    factor: float | np.ndarray,
) -> float:
    """Negative log-likelihood of the rows' outcome classes (adopted the plurality / kept the
    own answer / other); ``factor`` scales each row's adoption (the heard tiers' influence)."""
    a = np.clip((influence + truth_bias * c.pok) * c.share * factor, 0, 1)
    a = a * np.exp(-follow_temperature * c.fdt)
    k = np.clip(stickiness + truth_bias * c.own_ok, 0, 1) * c.can_keep
    p_pl = a + (1 - a) * (k * c.same + (1 - k) * c.q_pl)
    p_own = (1 - a) * (k * (1 - c.same) * c.can_keep + (1 - k) * c.q_own)
    prob = c.c_pl * p_pl + c.c_own * p_own + (1 - c.c_pl - c.c_own) * (1 - p_pl - p_own)
    return -float(np.log(np.maximum(prob, 1e-6)).sum())

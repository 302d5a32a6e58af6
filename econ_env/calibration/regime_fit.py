"""Fitting the simulator's regime fields: missing facts and DALA's message tiers (step 8 of
:mod:`econ_env.calibration.fit`).

- ``fact_weight`` -- on finished fresh answers of ``split_facts`` items written while the agent
  knew only part of the facts (auction drafts, debate first answers, and revisions after which
  the agent had learned a fact: the simulator answers those afresh). Their logit is the step-1
  model's (skill, difficulty, temperature) minus ``fact_weight * (1 - facts_known)``; the
  weight is the 1-D MAP with the step-1 model held fixed (prior ``N(base, 2^2)``, as the
  accuracy regression's effects). Holding the intercept fixed is what the simulator does: it
  plays a ``split_facts`` item with the preset's one skill, so the weight that reproduces the
  partial-facts accuracy is the one to ship. The accuracy of the same items' answers with every
  fact is reported next to it (a task whose full problem is harder or easier than the preset's
  shows there).
- ``tier_length`` -- per compressed tier, the ratio whose simulated lengths
  (``min(max_tokens, max(1, ceil(ratio * source_tokens)))``) have the real compressions' mean:
  moment matching that counts a compression cut at its cap as the simulator would.
- ``tier_influence`` -- per compressed tier, the factor on the adoption of a heard plurality
  carried by messages of that tier: the likelihood of the outcome class of every finished
  revision that heard a shorter tier (:mod:`econ_env.calibration.social`), with step 3's
  ``influence``, ``stickiness`` and ``truth_bias`` held fixed.

A field without enough rows (fewer than ``MIN_ROWS``) keeps its base value with the reason in
``FitReport.kept``. The share of compressions that keep the draft's final answer is reported as a
note (the simulator's compressions always keep it unless they are cut).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import optimize

from econ_env.calibration.signals import MIN_ROWS
from econ_env.calibration.social import (
    class_nll,
    p_fresh,
    plural_rows_tiers,
    social_columns,
    social_rows,
)
from econ_env.calibration.types import FitReport, SkillEstimate
from econ_env.llm.simulated.distractors import same_answer
from econ_env.llm.simulated.params import SimParams

__all__ = [
    "REGIME_FIELDS",
    "fact_fit",
    "fit_regime_fields",
    "tier_influence_fit",
    "tier_length_fit",
]

_PRIOR_SD = 2.0


def _fresh_or_learned(r: Any) -> bool:
    return r.role == "draft" or (r.role in ("answer", "revise") and (r.learned or not r.heard))


def fact_fit(rows: Sequence[Any], p: SimParams, offset: bool, rep: FitReport) -> dict:
    """``fact_weight`` from finished fresh answers written with part of the facts."""
    sel = [r for r in rows if r.finish_reason == "stop" and _fresh_or_learned(r)]
    part = [r for r in sel if r.facts_known < 1.0]
    if len(part) < MIN_ROWS:
        rep.kept["fact_weight"] = f"only {len(part)} finished fresh answers with part of the facts"
        return {}
    y = np.array([r.correct for r in part], float)
    missing = np.array([1.0 - r.facts_known for r in part])
    # the step-1 logit with every fact known (p_fresh subtracts the base fact_weight's penalty)
    base = np.array([_logit(p_fresh(r, p, offset)) for r in part]) + p.fact_weight * missing

    def loss(w: float) -> float:
        z = base - w * missing
        nll = -float((y * z - np.logaddexp(0.0, z)).sum())
        return nll + 0.5 * ((w - p.fact_weight) / _PRIOR_SD) ** 2

    res = optimize.minimize_scalar(loss, bounds=(0.0, 20.0), method="bounded")
    w = float(res.x)
    z = base - w * missing
    q = 1.0 / (1.0 + np.exp(-z))
    info = float((missing**2 * q * (1 - q)).sum()) + 1.0 / _PRIOR_SD**2
    half = 1.96 / math.sqrt(info)
    rep.estimates.append(SkillEstimate("fact_weight", w, w - half, w + half, len(part)))
    rep.fitted["fact_weight"] = (
        f"1-D MAP on {len(part)} finished fresh answers with part of the facts "
        f"(real accuracy {y.mean():.3f}, mean facts known {1 - missing.mean():.2f}; "
        f"step-1 model held fixed; +/- {half:.2f})"
    )
    full = [r for r in sel if r.facts_known >= 1.0 and r.item_id.startswith("split_facts/")]
    if full:
        pred = np.mean([p_fresh(r, p, offset) for r in full])
        rep.notes.append(
            f"split_facts answers with every fact: real accuracy "
            f"{np.mean([r.correct for r in full]):.3f} on {len(full)}, the fitted skill "
            f"predicts {pred:.3f}"
        )
    return {"fact_weight": w}


def _logit(q: float) -> float:
    q = min(max(q, 1e-12), 1 - 1e-12)
    return math.log(q / (1 - q))


def _length_ratio(sel: Sequence[Any]) -> tuple[float, float]:
    """(ratio in (0, 1], observed mean length) such that the simulated capped lengths
    ``min(max_tokens, max(1, ceil(ratio * source_tokens)))`` of rows ``sel`` have their mean."""
    src = np.array([r.source_tokens for r in sel], float)
    cap = np.array([r.max_tokens for r in sel], float)
    observed = float(np.mean([r.completion_tokens for r in sel]))

    def gap(ratio: float) -> float:
        return float(np.minimum(cap, np.maximum(1.0, np.ceil(ratio * src))).mean()) - observed

    lo, hi = 1e-6, 1.0
    if gap(hi) <= 0.0:
        return hi, observed
    if gap(lo) >= 0.0:
        return lo, observed
    return float(optimize.brentq(gap, lo, hi, xtol=1e-5)), observed


def tier_length_fit(rows: Sequence[Any], p: SimParams, rep: FitReport) -> dict:
    """``tier_length`` per compressed tier by matching the mean (capped) compression length."""
    comp = [r for r in rows if r.role == "compress" and r.tier and r.source_tokens > 0]
    tiers = sorted({r.tier for r in comp})
    if not tiers:
        rep.kept["tier_length"] = "no compressions in the traces"
        return {}
    ratios = dict(p.tier_length)
    fitted = []
    for tier in tiers:
        sel = [r for r in comp if r.tier == tier]
        if len(sel) < MIN_ROWS:
            continue
        ratio, observed = _length_ratio(sel)
        ratios[tier] = ratio
        cut = np.mean([r.finish_reason == "length" for r in sel])
        kept = [
            r.answer is not None and same_answer(r.answer, r.own_answer, r.kind)
            for r in sel
            if r.own_answer is not None
        ]
        fitted.append(f"{tier}: {len(sel)} compressions, mean {observed:.1f} tokens, {cut:.0%} cut")
        if kept:
            rep.notes.append(
                f"{tier} compressions keep the draft's final answer in {np.mean(kept):.0%} of "
                f"{len(kept)} (the simulator's always do, unless cut)"
            )
    if not fitted:
        rep.kept["tier_length"] = f"fewer than {MIN_ROWS} compressions of every tier"
        return {}
    rep.fitted["tier_length"] = "mean capped length matched; " + "; ".join(fitted)
    return {"tier_length": tuple(sorted(ratios.items()))}


def tier_influence_fit(rows: Sequence[Any], p: SimParams, offset: bool, rep: FitReport) -> dict:
    """``tier_influence`` per compressed tier from revisions that heard a shorter tier."""
    # each revision that heard a shorter tier, with the tiers of the messages carrying its
    # heard plurality (computed once: the likelihood reads them on every evaluation)
    heard = [(r, plural_rows_tiers(r)) for r in social_rows(rows)]
    heard = [(r, ts) for r, ts in heard if any(t != "full" for t in ts)]
    tiers = sorted({t for _, ts in heard for t in ts if t != "full"})
    counts = {t: sum(t in ts for _, ts in heard) for t in tiers}
    tiers = [t for t in tiers if counts[t] >= MIN_ROWS]
    if not tiers:
        rep.kept["tier_influence"] = (
            f"fewer than {MIN_ROWS} finished revisions that heard a shorter tier "
            f"({counts or 'none'})"
        )
        return {}
    heard = [(r, ts) for r, ts in heard if all(t == "full" or t in tiers for t in ts)]
    sel, carried = [r for r, _ in heard], [ts for _, ts in heard]
    cols = social_columns(sel, p, offset)

    def factors(v: np.ndarray) -> np.ndarray:
        w = dict(zip(tiers, v, strict=True))
        return np.array([np.mean([1.0 if t == "full" else w[t] for t in ts]) for ts in carried])

    def nll(v: np.ndarray) -> float:
        f = factors(v)
        return class_nll(cols, p.influence, p.stickiness, p.truth_bias, p.follow_temperature, f)

    start = np.array([p.tier_weight(t) for t in tiers])
    res = optimize.minimize(nll, start, method="L-BFGS-B", bounds=[(0.0, 1.0)] * len(tiers))
    out = {**dict(p.tier_influence), **{t: float(x) for t, x in zip(tiers, res.x, strict=True)}}
    adopted = {
        t: np.mean([r.adopted_plurality for r, ts in zip(sel, carried, strict=True) if t in ts])
        for t in tiers
    }
    rep.fitted["tier_influence"] = (
        "mixture MLE (influence, stickiness, truth_bias held) on "
        + "; ".join(f"{t}: {counts[t]} revisions, adopted {adopted[t]:.0%}" for t in tiers)
    )
    return {"tier_influence": tuple(sorted(out.items()))}


REGIME_FIELDS = ("fact_weight", "tier_length", "tier_influence")
"""The fields step 8 fits."""


def fit_regime_fields(
    rows: Sequence[Any], base: SimParams, *, offset: bool = False
) -> tuple[SimParams, FitReport]:
    """Step 8 alone on top of ``base`` (a fitted preset): ``fact_weight``, ``tier_length`` and
    ``tier_influence`` from ``rows``, every other field kept. ``offset`` as in the accuracy model
    (the expected bonus of an unlabelled debate plan; the regime parts play auctions only)."""
    if not rows:
        raise ValueError("fit_regime_fields needs at least one trace row")
    rep = FitReport(params=base, n_rows=len(rows))
    answers = [r for r in rows if r.role != "compress"]
    p = replace(base, **fact_fit(answers, base, offset, rep))
    p = replace(p, **tier_length_fit(rows, p, rep))
    p = replace(p, **tier_influence_fit(answers, p, offset, rep))
    rep.params = p
    return p, rep

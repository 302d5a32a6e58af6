"""Fitting :class:`~econ_env.llm.simulated.SimParams` to recorded traces: the maths behind
``econ-env calibrate`` (:func:`fit_sim_params`).

Every estimator works on :class:`~econ_env.calibration.types.TraceRow`-like objects (attribute
access only) and returns plain floats; a field whose effect the rows cannot identify (no
variation, too few rows) is kept from ``base`` and listed in ``FitReport.kept`` with the reason.

The fit, effect by effect (scipy; steps 5-7 live in :mod:`econ_env.calibration.signals`):

1. answer accuracy -- logistic regression on fresh answers (auction drafts, debate answers that
   heard nothing) that finished: per-agent skill (or one shared skill: ``skill_mode="auto"``
   keeps per-agent skills only when a likelihood-ratio test rejects equal skills at 5%),
   ``difficulty_weight`` (kept when difficulties barely vary), ``temperature_effect`` (on
   ``max(0, T - t_ref)``), and ``strategy_bonus``: from strategy labels when the traces have them
   (simulated coordinators), else from the debate executors' logit offset over drafts divided by
   ``strategy_hint`` (a real model's strategies carry no label). Effects are >= 0; weak Gaussian
   priors (skill N(0, 4^2), an effect N(base, 2^2)) keep a small real set finite. Truncated rows
   are left out: the length model reproduces truncation, which the simulator scores as no answer.
2. wrong-answer clustering -- ``distractor_skew`` (and ``n_distractors`` when wrong answers
   coincide less often than uniform distractors allow) by moment matching the rate at which two
   wrong fresh answers on one item are the same.
3. social effects -- ``influence``, ``stickiness``, ``truth_bias``, ``follow_temperature`` by the
   likelihood of each revision's outcome class (adopted the heard plurality / kept its own answer
   / other) under the simulator's mixture (adopt, else keep, else answer afresh with step 1's
   model), on revisions and debate answers that heard a commitment.
4. coordinator -- ``coordinator_fidelity`` and ``coordinator_skill`` by the likelihood of a
   commitment's correctness (fidelity x [plurality correct] + (1 - fidelity) x own accuracy).
5. lengths -- one lognormal ``length_sigma`` from the interquartile range of the draft / revise /
   answer lengths (log scale, around each role's median; a truncated completion ranks above every
   finished one), ``mu`` = log median for those roles (``length_mu`` for drafts,
   ``role_length_mu`` for the others) and, for strategy and commitment, the ``mu`` that cuts
   them at debate_v0's default caps as often as the real ones are cut there (else the ``mu``
   whose mean capped length equals the observed mean). Quantiles, not maximum likelihood: a real
   model's odd one-line answer among long solutions would otherwise inflate sigma.
6. prompts -- ``chars_per_token`` and ``per_message_overhead`` by non-negative least squares of
   prompt tokens on (characters, messages).
7. confidence -- ``temperature_confidence`` by regressing the inverse-softplus signals on
   ``(1, correct, T - t_ref)``; ``confidence_correlation`` rho from the mean of the two
   temperature-adjusted AUCs (mean logprob, negative entropy; the simulator's AUC is
   Phi(sqrt(2) rho / sqrt(1 - rho^2))), taken within items (pairs of a right and a wrong fresh
   answer -- a draft or a first answer -- to the same item in the same episode) when there are
   at least 20 such pairs, else pooled over every finished answer; ``role_confidence_correlation``
   the same match per fresh role (drafts, first answers) when two or more roles each have 20
   such pairs (revisions and commitments keep the shared rho);
   each signal's offset and slope from its mean and variance.
8. regimes -- ``fact_weight`` (answers written with part of a ``split_facts`` item's facts),
   ``tier_length`` and ``tier_influence`` (DALA's compressions and the revisions that heard
   them): :mod:`econ_env.calibration.regime_fit`. Compressions enter no other step but the
   prompt fit (6); answers written with part of the facts, or after learning one, enter steps
   3-6 and 8 only (step 3 leaves out the revisions that learned a fact: they answer afresh).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import optimize, stats

from econ_env.calibration.regime_fit import fact_fit, tier_influence_fit, tier_length_fit
from econ_env.calibration.signals import MIN_ROWS, confidence_fit, length_fit, prompt_fit
from econ_env.calibration.social import (
    class_nll,
    distractor_weights,
    social_columns,
    social_rows,
)
from econ_env.calibration.types import FitReport, SkillEstimate
from econ_env.llm.simulated.distractors import answer_key, plurality, same_answer
from econ_env.llm.simulated.params import SimParams

__all__ = ["EFFECT_PRIOR_SD", "SKILL_PRIOR_SD", "fit_sim_params"]

_EPS = 1e-6


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -700, 700)))


SKILL_PRIOR_SD = 4.0
EFFECT_PRIOR_SD = 2.0
"""Gaussian priors of the accuracy regression (a skill around 0, an effect around its ``base``
value): negligible with hundreds of rows, they keep a small real set (e.g. all wrong answers on
hard items) from running off to infinite logits."""


def _logistic(X: np.ndarray, y: np.ndarray, bounds: list, mean: np.ndarray, sd: np.ndarray):
    """Bounded logistic regression, MAP with independent Gaussian priors ``N(mean, sd^2)``:
    (coefficients, standard errors, data negative log-likelihood at the optimum)."""
    prec = 1.0 / sd**2

    def data_nll(w: np.ndarray) -> float:
        z = X @ w
        return -float((y * z - np.logaddexp(0.0, z)).sum())

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        pen = 0.5 * float(prec @ (w - mean) ** 2)
        grad = -(X.T @ (y - _sigmoid(X @ w))) + prec * (w - mean)
        return data_nll(w) + pen, grad

    start = np.clip(mean, [b[0] for b in bounds], [b[1] for b in bounds])
    res = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    p = _sigmoid(X @ res.x)
    info = X.T @ (X * (p * (1 - p))[:, None]) + np.diag(prec)
    se = np.sqrt(np.clip(np.diag(np.linalg.pinv(info)), 0.0, None))
    return res.x, se, data_nll(res.x)


def _accuracy_fit(rows: Sequence[Any], base: SimParams, mode: str, rep: FitReport) -> dict:
    """Step 1: skills, difficulty_weight, temperature_effect and strategy bonus."""
    fresh = [r for r in rows if r.finish_reason == "stop" and _is_fresh(r)]
    out: dict[str, Any] = {}
    if len(fresh) < MIN_ROWS:
        for name in ("skill", "difficulty_weight", "temperature_effect", "strategy_bonus"):
            rep.kept[name] = f"only {len(fresh)} finished fresh answers"
        return out
    y = np.array([r.correct for r in fresh], float)
    agents = sorted({r.agent_index for r in fresh})
    d = np.array([r.difficulty for r in fresh]) - 0.5
    dt = np.maximum(0.0, np.array([r.temperature for r in fresh]) - base.t_ref)
    labelled = [r.strategy_good for r in fresh if r.role == "answer"]
    has_labels = bool(labelled) and all(g is not None for g in labelled)
    debate = np.array(
        [
            (bool(r.strategy_good) if has_labels else 1.0) if r.role == "answer" else 0.0
            for r in fresh
        ]
    )
    extra, names = [], []
    for name, col, ok, why in (
        (
            "difficulty_weight",
            -d,
            np.std(d) >= 0.05,
            f"difficulties barely vary (sd {np.std(d):.3f})",
        ),
        (
            "temperature_effect",
            -dt,
            _both(dt > 0),
            f"too few fresh answers above t_ref={base.t_ref}",
        ),
        ("strategy_bonus", debate, _both(debate > 0), "too few answers with (or without) a plan"),
    ):
        if ok:
            extra.append(col)
            names.append(name)
        else:
            rep.kept[name] = why
    one_hot = np.array([[r.agent_index == a for a in agents] for r in fresh], float)
    prior = {
        "difficulty_weight": base.difficulty_weight,
        "temperature_effect": base.temperature_effect,
        "strategy_bonus": base.strategy_bonus * (1.0 if has_labels else base.strategy_hint),
    }
    fits = {}
    for m in ("shared", "per-agent"):
        A = np.ones((len(fresh), 1)) if m == "shared" else one_hot
        X = np.column_stack([A, *extra]) if extra else A
        bounds = [(-8.0, 8.0)] * A.shape[1] + [(0.0, 20.0)] * len(extra)
        mean = np.array([0.0] * A.shape[1] + [prior[n] for n in names])
        sd = np.array([SKILL_PRIOR_SD] * A.shape[1] + [EFFECT_PRIOR_SD] * len(names))
        fits[m] = (A.shape[1], *_logistic(X, y, bounds, mean, sd))
    k1, w1, se1, nll1 = fits["shared"]
    k2, w2, se2, nll2 = fits["per-agent"]
    p_equal = float(stats.chi2.sf(2 * max(nll1 - nll2, 0.0), df=k2 - k1)) if k2 > k1 else 1.0
    rep.equal_skill_p = p_equal
    use = mode if mode != "auto" else ("per-agent" if p_equal < 0.05 else "shared")
    rep.skill_mode = use
    for a, agent in enumerate(agents):
        rep.estimates.append(_est(f"skill[agent {agent}]", w2[a], se2[a], int(one_hot[:, a].sum())))
    rep.estimates.append(_est("skill[shared]", w1[0], se1[0], len(fresh)))
    k, w, se = (k2, w2, se2) if use == "per-agent" else (k1, w1, se1)
    if use == "per-agent":
        skills = dict(zip(agents, w[:k], strict=True))
        out["skill"] = tuple(float(skills.get(i, np.mean(w[:k]))) for i in range(max(agents) + 1))
    else:
        out["skill"] = float(w[0])
    rep.fitted["skill"] = (
        f"logistic MAP on {len(fresh)} finished fresh answers "
        f"({use}; equal-skill LRT p={p_equal:.3g})"
    )
    for j, name in enumerate(names):
        value, s = float(w[k + j]), float(se[k + j])
        label = "strategy offset" if name == "strategy_bonus" else name
        n = {"difficulty_weight": len(fresh), "temperature_effect": int((dt > 0).sum())}
        rep.estimates.append(_est(label, value, s, n.get(name, int(debate.sum()))))
        if name == "strategy_bonus" and not has_labels:
            value = value / max(base.strategy_hint, 1e-6)
            rep.notes.append(
                "real strategies carry no good/generic label: strategy_bonus = debate "
                f"executors' logit offset over drafts / strategy_hint ({base.strategy_hint:g})"
            )
        out[name] = max(0.0, value)
        rep.fitted[name] = f"logistic MAP (+/- {1.96 * s:.2f}; prior sd {EFFECT_PRIOR_SD:g})"
    return out


def _both(mask: np.ndarray) -> bool:
    return bool(mask.sum() >= MIN_ROWS and (~mask).sum() >= MIN_ROWS)


def _est(name: str, value: float, se: float, n: int) -> SkillEstimate:
    v, h = float(value), 1.96 * float(se)
    return SkillEstimate(name, v, v - h, v + h, n)


def _is_fresh(r: Any) -> bool:
    return r.role == "draft" or (r.role == "answer" and not r.heard)


def _skew_fit(rows: Sequence[Any], p: SimParams, rep: FitReport) -> dict:
    """Step 2: distractor_skew (and, when wrong answers coincide less often than uniform
    distractors allow, more distractors) matching how often two wrong fresh answers on one item
    are the same."""
    groups: dict[tuple, list[Any]] = {}
    for r in rows:
        if _is_fresh(r) and r.has_answer and not r.correct and r.finish_reason == "stop":
            groups.setdefault((r.game, r.episode, r.role, r.item_id), []).append(r)
    pairs = [(a, b) for g in groups.values() for i, a in enumerate(g) for b in g[i + 1 :]]
    if len(pairs) < MIN_ROWS:
        rep.kept["distractor_skew"] = f"only {len(pairs)} pairs of wrong fresh answers"
        return {}
    rate = float(
        np.mean([answer_key(a.answer, a.kind) == answer_key(b.answer, b.kind) for a, b in pairs])
    )

    def expected(skew: float, n: int) -> float:
        q = replace(p, n_distractors=n)
        vals = []
        for a, b in pairs:
            wa, wb = distractor_weights(a, skew, q), distractor_weights(b, skew, q)
            vals.append(sum(v * wb.get(k, 0.0) for k, v in wa.items()))
        return float(np.mean(vals))

    n = p.n_distractors
    while n < 8 and rate < expected(0.0, n):
        n += 1
    lo, hi = expected(0.0, n), expected(20.0, n)
    if rate <= lo:
        skew = 0.0
    elif rate >= hi:
        skew = 20.0
    else:
        skew = float(optimize.brentq(lambda s: expected(s, n) - rate, 0.0, 20.0, xtol=1e-3))
    desc = f"moment match: {rate:.3f} of {len(pairs)} wrong-answer pairs coincide"
    rep.fitted["distractor_skew"] = desc
    if n != p.n_distractors:
        rep.fitted["n_distractors"] = desc + " (fewer than uniform distractors allow)"
    return {"distractor_skew": skew, "n_distractors": n}


def _social_fit(rows: Sequence[Any], p: SimParams, offset: bool, rep: FitReport) -> dict:
    """Step 3: influence, stickiness, truth_bias, follow_temperature: the likelihood of each
    revision's outcome class (adopted the heard plurality / kept its own answer / other) under
    the simulator's mixture (:mod:`econ_env.calibration.social`); a real model's fresh wrong
    answers need not be the simulator's distractors, so only the classes are scored. Revisions
    that heard a shorter tier (their adoption is scaled by ``tier_influence``) are left to the
    tier fit."""
    sel = [r for r in social_rows(rows) if all(t == "full" for t in r.heard_tiers)]
    names = ("influence", "stickiness", "truth_bias", "follow_temperature")
    if len(sel) < MIN_ROWS:
        for n in names:
            rep.kept[n] = f"only {len(sel)} finished revisions / answers after a commitment"
        return {}
    cols = social_columns(sel, p, offset)
    fit_follow = (cols.fdt > 0).sum() >= MIN_ROWS

    def nll(v: np.ndarray) -> float:
        ft = v[3] if fit_follow else p.follow_temperature
        return class_nll(cols, v[0], v[1], v[2], ft, 1.0)

    bounds = [(0, 1), (0, 1), (0, 1), (0, 10)]
    best = None
    for start in ((0.5, 0.5, 0.1, 1.0), (0.2, 0.8, 0.3, 0.3), (0.8, 0.2, 0.0, 3.0)):
        res = optimize.minimize(nll, np.array(start), method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    out = dict(zip(names, (float(x) for x in best.x), strict=True))
    desc = f"mixture MLE on {len(sel)} finished revisions / answers after a commitment"
    for n in names[:3]:
        rep.fitted[n] = desc
    if fit_follow:
        rep.fitted["follow_temperature"] = desc
    else:
        del out["follow_temperature"]
        rep.kept["follow_temperature"] = "too few answers after a commitment above t_ref"
    return out


def _coordinator_fit(rows: Sequence[Any], p: SimParams, rep: FitReport) -> dict:
    """Step 4: coordinator_fidelity and coordinator_skill from commitments' correctness."""
    sel = [r for r in rows if r.role == "commitment" and r.finish_reason == "stop"]
    if len(sel) < MIN_ROWS:
        for n in ("coordinator_fidelity", "coordinator_skill"):
            rep.kept[n] = f"only {len(sel)} finished commitments"
        return {}
    y = np.array([r.correct for r in sel], float)
    heard = np.array([bool(r.heard) for r in sel], float)
    pok = np.array(
        [bool(r.heard) and same_answer(plurality(r.heard, r.kind)[0], r.gold, r.kind) for r in sel],
        float,
    )
    base = np.array(
        [
            -p.difficulty_weight * (r.difficulty - 0.5)
            - p.temperature_effect * max(0, r.temperature - p.t_ref)
            for r in sel
        ]
    )

    def nll(v: np.ndarray) -> float:
        f = v[0] * heard
        prob = f * pok + (1 - f) * _sigmoid(v[1] + base)
        prob = np.clip(prob, _EPS, 1 - _EPS)
        return -float((y * np.log(prob) + (1 - y) * np.log(1 - prob)).sum())

    res = optimize.minimize(nll, np.array([0.5, 0.0]), method="L-BFGS-B", bounds=[(0, 1), (-8, 8)])
    desc = f"MLE on {len(sel)} finished commitments"
    rep.fitted["coordinator_fidelity"] = rep.fitted["coordinator_skill"] = desc
    return {"coordinator_fidelity": float(res.x[0]), "coordinator_skill": float(res.x[1])}


def fit_sim_params(
    rows: Sequence[Any], base: SimParams | None = None, *, skill_mode: str = "auto"
) -> tuple[SimParams, FitReport]:
    """Fit :class:`SimParams` to trace rows (see the module docstring).

    ``skill_mode``: ``"per-agent"``, ``"shared"`` (one skill for every agent: right for one model
    playing every agent), or ``"auto"`` (per-agent only when the equal-skill test rejects).
    """
    if skill_mode not in ("auto", "per-agent", "shared"):
        raise ValueError(f"skill_mode must be 'auto', 'per-agent' or 'shared', got {skill_mode!r}")
    if not rows:
        raise ValueError("fit_sim_params needs at least one trace row")
    base = base if base is not None else SimParams()
    rep = FitReport(params=base, n_rows=len(rows))
    # compressions have their own length model (step 8); answers written with part of an
    # item's facts, or after learning one, are step 8's too: steps 1, 2 and 7 see the others
    answers = [r for r in rows if r.role != "compress"]
    core = [r for r in answers if r.facts_known >= 1.0 and not r.learned]
    p = replace(base, **_accuracy_fit(core, base, skill_mode, rep))
    offset = "strategy_bonus" in rep.fitted and not any(
        r.strategy_good is not None for r in rows if r.role == "answer"
    )
    p = replace(p, **fact_fit(answers, p, offset, rep))
    strategies = [r.strategy_good for r in rows if r.role == "strategy"]
    if strategies and all(g is not None for g in strategies):
        p = replace(p, strategy_hint=float(np.mean(strategies)))
        rep.fitted["strategy_hint"] = f"share of good plans among {len(strategies)} strategies"
    else:
        rep.kept["strategy_hint"] = "a real model's strategies carry no good/generic label"
    p = replace(p, **_skew_fit(core, p, rep))
    p = replace(p, **_social_fit(answers, p, offset, rep))
    p = replace(p, **_coordinator_fit(answers, p, rep))
    p = replace(p, **length_fit(answers, p, rep))
    p = replace(p, **prompt_fit(rows, rep))
    p = replace(p, **confidence_fit(core, p, rep))
    p = replace(p, **tier_length_fit(rows, p, rep))
    p = replace(p, **tier_influence_fit(answers, p, offset, rep))
    for name in ("t_ref", "n_distractors", "top_p_focus", "repetition_shortening"):
        if name not in rep.fitted:
            rep.kept.setdefault(name, "not identified by these games' traces (kept from base)")
    rep.params = p
    return p, rep

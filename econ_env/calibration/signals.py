"""Fits of the token and confidence effects of :class:`~econ_env.llm.simulated.SimParams`
(steps 5-7 of :mod:`econ_env.calibration.fit`): completion lengths per role, prompt tokens per
character and message, and the confidence signals' link to correctness. Used by
:func:`econ_env.calibration.fit.fit_sim_params`; each returns the fields it fitted and records
how (or why it kept the base value) in the :class:`~econ_env.calibration.types.FitReport`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np
from scipy import optimize, stats

from econ_env.calibration.report import auc, is_fresh
from econ_env.calibration.types import FitReport
from econ_env.envs.debate.config import DebateConfig
from econ_env.llm.simulated.params import SimParams

__all__ = ["MIN_ROWS", "REFERENCE_CAPS", "confidence_fit", "length_fit", "prompt_fit"]

MIN_ROWS = 8
"""Fewer usable rows than this leave an effect at its ``base`` value."""

_DEBATE_DEFAULTS = {f.name: f.default for f in fields(DebateConfig)}
REFERENCE_CAPS = {
    "strategy": _DEBATE_DEFAULTS["strategy_cap"],
    "commitment": _DEBATE_DEFAULTS["commitment_cap"],
}
"""debate_v0's default hard caps: the strategy / commitment lengths are fitted to be cut there as
often as the real model's are."""


def _softplus_inv(y: np.ndarray) -> np.ndarray:
    y = np.clip(np.asarray(y, float), 1e-4, 50.0)
    return np.where(y > 30, y, np.log(np.expm1(y)))


# ---------------------------------------------------------------------------- logistic


def length_fit(rows: Sequence[Any], p: SimParams, rep: FitReport) -> dict:
    """Step 5: one lognormal sigma (IQR of the draft / revise / answer roles' log lengths around
    their medians: robust to the odd one-line answer among long solutions), mu = log median for
    those roles, and for strategy / commitment the mu that cuts them at debate_v0's default
    caps (70 / 50 tokens) as often as the real model's are cut or longer there (a cut commitment
    leaves the debate without a final answer); any other role, or a share of 0 or 1, matches
    the observed mean capped length."""
    roles = sorted({r.role for r in rows if r.completion_tokens > 0})
    roles = [role for role in roles if sum(r.role == role for r in rows) >= 2]
    sel = [r for r in rows if r.role in roles and r.completion_tokens > 0]
    if len(sel) < MIN_ROWS or not roles:
        for n in ("length_mu", "role_length_mu", "length_sigma"):
            rep.kept[n] = f"only {len(sel)} completions"
        return {}
    idx = np.array([roles.index(r.role) for r in sel])
    shift = np.array([p.repetition_shortening * (r.repetition_penalty - 1.0) for r in sel])
    logs = np.log([r.completion_tokens for r in sel]) + shift
    cens = np.array([r.finish_reason == "length" for r in sel])

    caps = np.log([r.max_tokens for r in sel])

    def fit_mu(k: int, sigma: float) -> float:
        """For a capped role of debate_v0 (strategy, commitment: short, often bimodal), the mu
        giving the observed share of completions longer than the env's default cap, so that the
        preset cuts them as often as the model would under the default config; otherwise (or when
        that share is 0 or 1) the mu whose mean capped length is the role's."""
        m, c = idx == k, caps[idx == k]
        ref = REFERENCE_CAPS.get(roles[k])
        if ref is not None:
            share = float(np.mean(cens[m] | (logs[m] > math.log(ref))))
            if 0.0 < share < 1.0:
                return float(math.log(ref) - sigma * stats.norm.ppf(1.0 - share))
        target = float(np.mean(np.exp(np.where(cens[m], c, logs[m]))))

        def stat(mu: float) -> float:
            body = np.exp(mu + sigma**2 / 2) * stats.norm.cdf((c - mu - sigma**2) / sigma)
            return float(np.mean(body + np.exp(c) * stats.norm.sf((c - mu) / sigma)))

        if stat(0.0) >= target or stat(12.0) <= target:
            return 0.0 if stat(0.0) >= target else 12.0
        return float(optimize.brentq(lambda mu: stat(mu) - target, 0.0, 12.0, xtol=1e-4))

    # Quantiles are robust to the few one-line answers a real model gives among long solutions;
    # a truncated completion ranks above every finished one (its length is > max_tokens).
    ranked = np.where(cens, np.inf, logs)
    medians = {k: float(np.median(ranked[idx == k])) for k in range(len(roles))}
    main = [k for k, role in enumerate(roles) if role in ("draft", "revise", "answer")]
    main = main if np.isin(idx, main).sum() >= MIN_ROWS else list(range(len(roles)))
    m = np.isin(idx, main) & np.isfinite([medians[k] for k in idx])
    dev = ranked[m] - np.array([medians[k] for k in idx[m]])
    q25, q75 = np.percentile(dev, [25, 75]) if m.sum() >= 4 else (np.nan, np.nan)
    sigma = float((q75 - q25) / 1.349) if np.isfinite(q75 - q25) and q75 > q25 else 0.5
    sigma = min(max(sigma, 0.01), 3.0)
    mu = {k: v if k in main and np.isfinite(v) else fit_mu(k, sigma) for k, v in medians.items()}
    mus = {role: float(mu[k]) for k, role in enumerate(roles)}
    for k, role in enumerate(roles):
        m = idx == k
        predicted = float(np.mean(stats.norm.sf((caps[m] - mu[k]) / sigma)))
        body = np.exp(mu[k] + sigma**2 / 2) * stats.norm.cdf((caps[m] - mu[k] - sigma**2) / sigma)
        mean = float(np.mean(body + np.exp(caps[m]) * stats.norm.sf((caps[m] - mu[k]) / sigma)))
        observed = float(np.mean(np.exp(np.where(cens[m], caps[m], logs[m]))))
        if m.sum() >= 5 and abs(mean - observed) > 0.3 * observed:
            rep.notes.append(
                f"{role}: mean capped length {observed:.0f} tokens, the fitted lengths give "
                f"{mean:.0f} (one length_sigma for every role; strategy and commitment are "
                "fitted to be cut at debate_v0's default caps as often as the real ones)"
            )
        if m.sum() >= 5 and abs(predicted - cens[m].mean()) > 0.15:
            rep.notes.append(
                f"{role}: {cens[m].mean():.0%} of {int(m.sum())} completions hit max_tokens, the "
                f"fitted lengths give {predicted:.0%} (one length_sigma for every role cannot "
                "follow a role whose lengths are bimodal: short answers or long rambling)"
            )
    out: dict[str, Any] = {"length_sigma": sigma}
    if "draft" in mus:
        out["length_mu"] = mus.pop("draft")
    out["role_length_mu"] = tuple(sorted({**dict(p.role_length_mu), **mus}.items()))
    stops = [r.completion_tokens for r in sel if r.finish_reason == "stop"]
    if stops and min(stops) < p.min_tokens:
        out["min_tokens"] = int(min(stops))
        rep.fitted["min_tokens"] = "the shortest finished completion"
    desc = (
        f"{len(sel)} completions ({int(cens.sum())} truncated): answer roles mu = log median, "
        "sigma = IQR/1.349; strategy / commitment mu: the share longer than debate_v0's "
        "default cap"
    )
    for n in ("length_mu", "role_length_mu", "length_sigma"):
        rep.fitted[n] = desc
    return out


def prompt_fit(rows: Sequence[Any], rep: FitReport) -> dict:
    """Step 6: prompt_tokens ~ chars / chars_per_token + overhead * messages (NNLS)."""
    if len(rows) < MIN_ROWS:
        rep.kept["chars_per_token"] = rep.kept["per_message_overhead"] = "too few rows"
        return {}
    A = np.array([[r.prompt_chars, r.n_messages] for r in rows], float)
    b = np.array([r.prompt_tokens for r in rows], float)
    coef, _ = optimize.nnls(A, b)
    resid = b - A @ coef
    desc = f"NNLS on {len(rows)} prompts (rmse {math.sqrt(float(np.mean(resid**2))):.1f} tokens)"
    rep.fitted["chars_per_token"] = rep.fitted["per_message_overhead"] = desc
    return {
        "chars_per_token": float(min(100.0, 1.0 / max(coef[0], 0.01))),
        "per_message_overhead": int(np.rint(coef[1])),
    }


MIN_PAIRS = 20
"""Same-item (right, wrong) answer pairs needed to match rho to the within-item AUC."""


def _within_item_auc(
    scores: np.ndarray, labels: np.ndarray, groups: Sequence[Any]
) -> tuple[float, int]:
    """``(AUC, pairs)`` over pairs of one right and one wrong answer in the same group (ties
    count one half; a ``None`` group is no group); ``(nan, 0)`` without such pairs."""
    by: dict[Any, list[int]] = {}
    for i, g in enumerate(groups):
        if g is not None:  # rows without a group take no part
            by.setdefault(g, []).append(i)
    wins, pairs = 0.0, 0
    for idx in by.values():
        right = [scores[i] for i in idx if labels[i]]
        wrong = [scores[i] for i in idx if not labels[i]]
        for a in right:
            for b in wrong:
                pairs += 1
                wins += 1.0 if a > b else 0.5 if a == b else 0.0
    return (wins / pairs if pairs else math.nan), pairs


def _rho_from_auc(value: float) -> float:
    """The simulator's rho whose AUC ``Phi(sqrt(2) rho / sqrt(1 - rho^2))`` is ``value``."""
    k = stats.norm.ppf(float(np.clip(value, 0.01, 0.99)))
    return float(np.clip(k / math.sqrt(2 + k * k), -0.99, 0.99))


def confidence_fit(rows: Sequence[Any], p: SimParams, rep: FitReport) -> dict:
    """Step 7: confidence_correlation, temperature_confidence, offsets and slopes."""
    sel = [
        r
        for r in rows
        if r.role in ("draft", "revise", "answer", "commitment") and r.finish_reason == "stop"
    ]
    s = np.array([1.0 if r.correct else -1.0 for r in sel])
    names = (
        "confidence_correlation",
        "logprob_offset",
        "logprob_slope",
        "entropy_offset",
        "entropy_slope",
    )
    if len(sel) < MIN_ROWS or len(set(s)) < 2:
        for n in (*names, "temperature_confidence"):
            rep.kept[n] = f"{len(sel)} finished answers, not both right and wrong ones"
        return {}
    labels = s > 0
    dT = np.array([r.temperature - p.t_ref for r in sel])
    u = _softplus_inv(-np.array([r.mean_logprob for r in sel]))
    v = _softplus_inv(np.array([r.mean_entropy for r in sel]))
    out: dict[str, Any] = {}
    e = p.temperature_confidence
    if np.std(dT) > 0.05:
        X = np.column_stack([np.ones_like(s), s, dT])
        e = max(0.0, float(np.mean([np.linalg.lstsq(X, t, rcond=None)[0][2] for t in (u, v)])))
        out["temperature_confidence"] = e
        rep.fitted["temperature_confidence"] = f"least squares on {len(sel)} finished answers"
    else:
        rep.kept["temperature_confidence"] = "temperatures barely vary"
    # AUCs of the temperature-adjusted signals (in the simulator these are monotone in z).
    # The simulator's z does not depend on the item, so its AUC is the same across items and
    # within one; a real model's is not: easy items give short, confident solutions, which
    # swamps the signal across items (Qwen2.5-Coder-0.5B on arithmetic: 0.50 pooled, 0.65
    # between answers to the same item). What a bidder can use is the within-item signal, so
    # rho matches the within-item AUC when enough same-item pairs exist.
    # Only fresh answers (drafts, first answers): after hearing a broadcast a real model adopts
    # it confidently whether it is right or not, so revisions' confidence says little (0.45 on
    # arithmetic), while the simulator has one rho for every role.
    groups = [(r.game, r.episode, r.item_id) if is_fresh(r) else None for r in sel]
    within = [_within_item_auc(-(t - e * dT), labels, groups) for t in (u, v)]
    if min(n for _, n in within) >= MIN_PAIRS:
        how = f"within-item AUCs of fresh answers, {within[0][1]} pairs"
        aucs = [a for a, _ in within]
    else:
        aucs, how = [auc(-(u - e * dT), labels), auc(-(v - e * dT), labels)], "pooled AUCs"
    rho = _rho_from_auc(float(np.mean(aucs)))
    out["confidence_correlation"] = rho
    # Per fresh role (auction drafts, debate first answers): the roles' within-item AUCs differ
    # on a real model (Qwen2.5-Coder-0.5B on arithmetic: 0.62 for drafts, 0.56 for first
    # answers), and one rho for both gives each game the other's signal. Fitted only when two
    # or more fresh roles each bring MIN_PAIRS same-item pairs; other roles keep the shared rho.
    by_role = {}
    for role in sorted({r.role for r in sel if is_fresh(r)}):
        g = [grp if r.role == role else None for grp, r in zip(groups, sel, strict=True)]
        res = [_within_item_auc(-(t - e * dT), labels, g) for t in (u, v)]
        if min(n for _, n in res) >= MIN_PAIRS:
            by_role[role] = (float(np.mean([a for a, _ in res])), res[0][1])
    if len(by_role) >= 2:
        out["role_confidence_correlation"] = {r: _rho_from_auc(a) for r, (a, _) in by_role.items()}
        rep.fitted["role_confidence_correlation"] = "within-item AUC match per fresh role: " + (
            ", ".join(f"{r} {a:.3f} ({n} pairs)" for r, (a, n) in by_role.items())
        )
    else:
        rep.kept["role_confidence_correlation"] = (
            f"fewer than two fresh roles with {MIN_PAIRS} same-item pairs ({sorted(by_role)})"
        )
    var_z = rho**2 * float(np.var(s)) + 1 - rho**2
    for t, off, slope in (
        (u, "logprob_offset", "logprob_slope"),
        (v, "entropy_offset", "entropy_slope"),
    ):
        resid = t - e * dT
        b = math.sqrt(float(np.var(resid)) / var_z)
        out[slope] = b
        out[off] = float(np.mean(resid)) + b * rho * float(np.mean(s))
    desc = (
        f"AUC match + moments on {len(sel)} finished answers "
        f"(temperature-adjusted {how} {aucs[0]:.3f} / {aucs[1]:.3f})"
    )
    for n in names:
        rep.fitted[n] = desc
    return out

"""Statistics of the sim-to-real study: per-policy means with CIs, Kendall's tau between the
real and simulated rankings, and a paired bootstrap over items for tau's CI.

Kendall's tau is scipy's tau-b (ties in either ranking count as neither concordant nor
discordant). The bootstrap resamples *items* with replacement, separately per game, and keeps
the pairing: a resampled item brings every policy's real episode on it and every simulated
repeat of it, so the CI reflects which items were drawn, the usual source of doubt in a study of
60 items.

A game's **team return** (``"team_return"``) is what its RL agents maximise:
``correct - cost_weight * billed / budget`` (auction_v0's team reward summed over the rounds),
computed from an episode's record with the ``costs`` (``{game: (cost_weight, budget)}``) that
:func:`policy_stats` and :func:`bootstrap_tau` take. A game not in ``costs`` has none.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import kendalltau

from econ_env.fidelity.study import EpisodeRecord

__all__ = [
    "RETURN",
    "PolicyStats",
    "bootstrap_tau",
    "kendall_tau",
    "policy_stats",
    "ranking_table",
]

METRICS = ("correct", "billed_tokens", "generated_tokens")
RETURN = "team_return"
Costs = Mapping[str, tuple[float, int]]
"""``{game: (cost_weight, budget)}``: how a game's team return prices billed tokens."""


@dataclass(frozen=True)
class PolicyStats:
    """Mean and 95% CI half-width (normal, over episodes) of one policy's metrics."""

    label: str
    game: str
    n: int
    mean: Mapping[str, float]
    half_width: Mapping[str, float]


def _getter(metric: str, costs: Costs | None) -> Callable[[EpisodeRecord], float]:
    """The value of ``metric`` in one episode (``ValueError`` naming an unknown metric or a
    game without costs for the team return)."""
    if metric in METRICS:
        return lambda e: float(getattr(e, metric))
    if metric != RETURN:
        raise ValueError(f"metric must be one of {(*METRICS, RETURN)}, got {metric!r}")
    costs = costs or {}

    def team_return(e: EpisodeRecord) -> float:
        if e.game not in costs:
            raise ValueError(f"no costs for {e.game!r}: its team return is not defined")
        weight, budget = costs[e.game]
        return float(e.correct) - weight * e.billed_tokens / budget

    return team_return


def _values(episodes: Sequence[EpisodeRecord], metric: str, costs: Costs | None) -> np.ndarray:
    value = _getter(metric, costs)
    return np.array([value(e) for e in episodes], dtype=float)


def policy_stats(
    episodes: Sequence[EpisodeRecord], costs: Costs | None = None
) -> dict[str, PolicyStats]:
    """Per policy label: episodes, means and 95% CI half-widths of accuracy and tokens, and of
    the team return for the games in ``costs``."""
    by: dict[str, list[EpisodeRecord]] = {}
    for e in episodes:
        by.setdefault(e.label, []).append(e)
    out = {}
    for label, eps in by.items():
        mean, half = {}, {}
        metrics = (*METRICS, RETURN) if costs and eps[0].game in costs else METRICS
        for m in metrics:
            v = _values(eps, m, costs)
            mean[m] = float(v.mean())
            half[m] = float(1.96 * v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else 0.0
        out[label] = PolicyStats(label, eps[0].game, len(eps), mean, half)
    return out


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall's tau-b of two score lists over the same policies (nan when undefined)."""
    if len(a) != len(b):
        raise ValueError(f"kendall_tau: {len(a)} scores against {len(b)}")
    if len(a) < 2:
        return math.nan
    tau = kendalltau(np.asarray(a, float), np.asarray(b, float)).statistic
    return float(tau)


def _means(
    index: Mapping[tuple[str, int], list[float]], labels: Sequence[str], draw: Mapping[str, list]
) -> list[float]:
    out = []
    for label in labels:
        vals = [v for e in draw[label] for v in index[label, e]]
        out.append(float(np.mean(vals)) if vals else math.nan)
    return out


def _index(
    episodes: Sequence[EpisodeRecord], metric: str, costs: Costs | None
) -> dict[tuple[str, int], list[float]]:
    value = _getter(metric, costs)
    index: dict[tuple[str, int], list[float]] = {}
    for e in episodes:
        index.setdefault((e.label, e.episode), []).append(value(e))
    return index


def bootstrap_tau(
    real: Sequence[EpisodeRecord],
    sim: Sequence[EpisodeRecord],
    labels: Sequence[str],
    *,
    metric: str = "correct",
    n_boot: int = 2000,
    seed: int = 0,
    costs: Costs | None = None,
) -> tuple[float, float, float]:
    """``(tau, low, high)``: tau between the real and simulated mean ``metric`` of ``labels``
    and its 95% percentile CI from a paired bootstrap over items (see the module docstring).
    ``sim`` may hold several repeats of an episode (same label and episode number).
    ``metric`` is one of :data:`METRICS` or :data:`RETURN` (which needs ``costs``)."""
    keep = set(labels)
    real = [e for e in real if e.label in keep]
    sim = [e for e in sim if e.label in keep]
    ri, si = _index(real, metric, costs), _index(sim, metric, costs)
    game_of = {e.label: e.game for e in real}
    missing = [lab for lab in labels if lab not in game_of]
    if missing:
        raise ValueError(f"bootstrap_tau: no real episodes for {missing}")
    eps_of = {lab: sorted({e for (l2, e) in ri if l2 == lab}) for lab in labels}
    for lab in labels:
        if any((lab, e) not in si for e in eps_of[lab]):
            raise ValueError(f"bootstrap_tau: policy {lab!r} lacks simulated episodes")
    full = {lab: eps_of[lab] for lab in labels}
    tau = kendall_tau(_means(ri, labels, full), _means(si, labels, full))
    items = {
        g: sorted({e for lab in labels if game_of[lab] == g for e in eps_of[lab]})
        for g in set(game_of[lab] for lab in labels)
    }
    rng = np.random.default_rng(seed)
    taus = []
    for _ in range(n_boot):
        picks = {g: rng.choice(v, size=len(v), replace=True) for g, v in items.items()}
        draw = {lab: [e for e in picks[game_of[lab]] if e in set(eps_of[lab])] for lab in labels}
        t = kendall_tau(_means(ri, labels, draw), _means(si, labels, draw))
        if not math.isnan(t):
            taus.append(t)
    if not taus:
        return tau, math.nan, math.nan
    low, high = np.percentile(taus, [2.5, 97.5])
    return tau, float(low), float(high)


def ranking_table(
    real: Mapping[str, PolicyStats], sim: Mapping[str, PolicyStats], labels: Sequence[str]
) -> list[dict[str, object]]:
    """Rows of the side-by-side table: per policy, real and simulated means, CIs and ranks
    (1 = most accurate; ties share the better rank)."""

    def ranks(stats: Mapping[str, PolicyStats]) -> dict[str, int]:
        accs = {lab: stats[lab].mean["correct"] for lab in labels}
        return {lab: 1 + sum(1 for o in labels if accs[o] > accs[lab]) for lab in labels}

    rr, sr = ranks(real), ranks(sim)
    rows = []
    for lab in labels:
        row: dict[str, object] = {"policy": lab, "game": real[lab].game, "n": real[lab].n}
        for side, stats, rk in (("real", real, rr), ("sim", sim, sr)):
            for m in stats[lab].mean:
                row[f"{side}_{m}"] = stats[lab].mean[m]
                row[f"{side}_{m}_ci"] = stats[lab].half_width[m]
            row[f"{side}_rank"] = rk[lab]
        rows.append(row)
    return rows

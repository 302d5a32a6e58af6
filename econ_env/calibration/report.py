"""Real-vs-simulated comparison for ``econ-env calibrate``: the metrics of a set of trace rows
(:func:`summarize`, :func:`auc`), the simulated replay of recorded episodes
(:func:`simulate_report`) and the side-by-side table (:func:`format_comparison`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from econ_env.calibration.record import record_plan
from econ_env.calibration.types import FitReport, TraceRow
from econ_env.llm.simulated.backend import SimulatedBackend
from econ_env.llm.simulated.distractors import same_answer
from econ_env.llm.simulated.params import SimParams
from econ_env.tasks.registry import make_task

__all__ = [
    "ANSWER_ROLES",
    "DIFFICULTY_BINS",
    "LENGTH_ROLES",
    "auc",
    "format_comparison",
    "is_fresh",
    "simulate_report",
    "summarize",
]

ANSWER_ROLES = ("draft", "revise", "answer", "commitment")
LENGTH_ROLES = ("draft", "revise", "answer", "strategy", "commitment")
DIFFICULTY_BINS = ((0.0, 1 / 3, "easy"), (1 / 3, 2 / 3, "medium"), (2 / 3, 1.01, "hard"))


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Mann-Whitney AUC of ``scores`` for positive ``labels`` (ties count 1/2; NaN if one class)."""
    s, y = np.asarray(scores, float), np.asarray(labels, bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return math.nan
    ranks = stats.rankdata(s)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def is_fresh(r: Any) -> bool:
    """A fresh answer: a draft, or a debate answer given before hearing anyone."""
    return r.role == "draft" or (r.role == "answer" and not r.heard)


def summarize(rows: Sequence[Any]) -> dict[str, tuple[float, int]]:
    """Named metrics ``{name: (value, n)}`` of a set of rows (NaN when ``n == 0``)."""
    out: dict[str, tuple[float, int]] = {}

    def put(name: str, values: Sequence[float]) -> None:
        out[name] = (float(np.mean(values)) if len(values) else math.nan, len(values))

    ans = [r for r in rows if r.role in ANSWER_ROLES]
    put("accuracy", [r.correct for r in ans])
    for role in ANSWER_ROLES:
        put(f"accuracy[{role}]", [r.correct for r in ans if r.role == role])
    for lo, hi, name in DIFFICULTY_BINS:
        put(f"accuracy[{name} items]", [r.correct for r in ans if lo <= r.difficulty < hi])
    for i in sorted({r.agent_index for r in rows if r.agent_index >= 0}):
        put(
            f"fresh accuracy[agent {i}]",
            [r.correct for r in rows if is_fresh(r) and r.agent_index == i],
        )
    finals: dict[str, list[bool]] = {}
    last = None
    for r in rows:  # an episode's rows are contiguous; replays repeat episodes
        if (r.game, r.episode, r.episode_seed) != last:
            finals.setdefault(r.game, []).append(bool(r.episode_correct))
            last = (r.game, r.episode, r.episode_seed)
    for game in sorted(finals):
        put(f"final accuracy[{game}]", finals[game])
    for role in LENGTH_ROLES:
        sel = [r for r in rows if r.role == role]
        put(f"completion tokens[{role}]", [r.completion_tokens for r in sel])
        put(f"truncated[{role}]", [r.finish_reason == "length" for r in sel])
        put(f"prompt tokens[{role}]", [r.prompt_tokens for r in sel])
    fin = [r for r in ans if r.finish_reason == "stop"]
    labels = [r.correct for r in fin]
    out["AUC[mean_logprob]"] = (auc([r.mean_logprob for r in fin], labels), len(fin))
    out["AUC[-mean_entropy]"] = (auc([-r.mean_entropy for r in fin], labels), len(fin))
    put("mean_logprob", [r.mean_logprob for r in fin])
    put("mean_entropy", [r.mean_entropy for r in fin])
    for role in ("revise", "answer"):
        put(
            f"adopted plurality[{role}]",
            [
                r.adopted_plurality
                for r in rows
                if r.role == role and r.adopted_plurality is not None
            ],
        )
        put(
            f"kept own[{role}]",
            [r.kept_own for r in rows if r.role == role and r.kept_own is not None],
        )
    _regime_metrics(rows, put)
    return out


def _regime_metrics(rows: Sequence[Any], put: Any) -> None:
    """The regime fields' metrics (split facts, message tiers), for rows that have them."""
    fresh = [r for r in rows if is_fresh(r) and r.finish_reason == "stop"]
    part = [r.correct for r in fresh if getattr(r, "facts_known", 1.0) < 1.0]
    if part:
        put("accuracy[part of the facts]", part)
        put(
            "accuracy[every fact, split_facts]",
            [
                r.correct
                for r in fresh
                if r.facts_known >= 1.0 and r.item_id.startswith("split_facts/")
            ],
        )
        learned = [r for r in rows if r.role == "revise" and r.learned]
        put("accuracy[revise, learned a fact]", [r.correct for r in learned])
        put(
            "accuracy[revise, learned, every fact]",
            [r.correct for r in learned if r.facts_known >= 1.0],
        )
    comp = [r for r in rows if r.role == "compress"]
    for tier in sorted({r.tier for r in comp if r.tier}):
        sel = [r for r in comp if r.tier == tier]
        put(f"completion tokens[{tier}]", [r.completion_tokens for r in sel])
        put(f"truncated[{tier}]", [r.finish_reason == "length" for r in sel])
        put(
            f"keeps its answer[{tier}]",
            [
                r.answer is not None and same_answer(r.answer, r.own_answer, r.kind)
                for r in sel
                if r.own_answer is not None
            ],
        )
    heard = [
        r
        for r in rows
        if r.role == "revise" and getattr(r, "heard_tiers", ()) and r.adopted_plurality is not None
    ]
    for tier in sorted({t for r in heard for t in r.heard_tiers}):
        put(
            f"adopted plurality[heard {tier}]",
            [r.adopted_plurality for r in heard if set(r.heard_tiers) == {tier}],
        )


def simulate_report(
    params: SimParams,
    rows: Sequence[Any],
    *,
    task: Any = "gsm_symbolic",
    task_kwargs: Mapping[str, Any] | None = None,
    env_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    policies: Mapping[str, str] | None = None,
    repeats: int = 3,
    seed: int = 0,
    report: FitReport | None = None,
) -> dict[str, tuple[float, int, float, int]]:
    """Replay the episodes of ``rows`` (same games, items, env seeds and policies) ``repeats``
    times with ``SimulatedBackend(params, seed=seed + k)`` and compare.

    Returns ``{metric: (real, n_real, simulated, n_simulated)}`` for the metrics of
    :func:`summarize`; also stored in ``report.comparison`` when a report is given.
    """
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}")
    source = make_task(task, **dict(task_kwargs or {}))
    plans: dict[str, list[tuple[int, int, str]]] = {}
    for r in rows:
        plans.setdefault(r.game, [])
        key = (r.episode, r.episode_seed, r.item_id)
        if key not in plans[r.game]:
            plans[r.game].append(key)
    sim_rows: list[TraceRow] = []
    for k in range(repeats):
        backend = SimulatedBackend(params, seed=seed + k)
        sim_rows += record_plan(backend, plans, source, env_kwargs=env_kwargs, policies=policies)
    real, sim = summarize(rows), summarize(sim_rows)
    out = {m: (real[m][0], real[m][1], sim[m][0], sim[m][1]) for m in real if real[m][1] > 0}
    if report is not None:
        report.comparison = out
    return out


def format_comparison(comparison: Mapping[str, tuple[float, int, float, int]]) -> str:
    """A fixed-width table: metric, real, simulated, difference, rows (real / simulated)."""
    lines = [f"{'metric':<34} {'real':>9} {'sim':>9} {'sim-real':>9} {'n real/sim':>13}"]
    for name, (real, nr, sim, ns) in comparison.items():
        lines.append(f"{name:<34} {real:>9.3f} {sim:>9.3f} {sim - real:>+9.3f} {nr:>6}/{ns:<6}")
    return "\n".join(lines)

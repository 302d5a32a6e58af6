"""A learner beside the fixed baselines on the same evaluation seeds: CIs and paired differences.

The training examples evaluate the learner and every fixed policy on the same seeds, one
return per episode. :func:`versus_fixed` summarises them: each policy's mean with a 95% normal
CI, the best fixed policy, the learner's paired difference from it (per seed, so the shared
questions cancel) and whether the learner *wins* (its CI lies entirely above the best fixed
policy's, the criterion of ``docs/guides/regimes.md``). :func:`format_comparison` prints it.
:func:`episode_rows` plays those episodes in a text env (return, correctness and tokens per
seed) and :func:`row_means` averages them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["ROW_KEYS", "episode_rows", "format_comparison", "mean_ci", "row_means", "versus_fixed"]

ROW_KEYS = ("team_return", "accuracy", "billed_tokens", "generated_tokens")
"""The columns of :func:`episode_rows` (the keys of :func:`row_means`)."""

TEAM_RETURNS = ("first", "sum")
"""How :func:`episode_rows` turns the agents' returns into the team return."""


def episode_rows(
    env: Any, act: Callable[[Any, str], Any], seeds: Iterable[int], *, team: str = "first"
) -> np.ndarray:
    """One episode of the AEC env ``env`` per seed, played by ``act(obs, agent)`` through the
    project's rollout loop (:func:`econ_env.core.rollout.play_episode`): an array with one row
    ``[team return, correct, billed tokens, generated tokens]`` (:data:`ROW_KEYS`) per seed.

    ``team="first"``: the first agent's return (the auction's team reward, which every bidder
    gets); ``"sum"``: the sum over agents (the debate's convention, ECON's team return)."""
    from econ_env.core.rollout import play_episode

    if team not in TEAM_RETURNS:
        raise ValueError(f"team must be one of {TEAM_RETURNS}, got {team!r}")
    first = env.possible_agents[0]
    rows = []
    for seed in seeds:
        result = play_episode(env, act, seed=seed)
        ret = result.returns[first] if team == "first" else sum(result.returns.values())
        info = result.info
        rows.append((ret, float(info["correct"]), info["billed_tokens"], info["generated_tokens"]))
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(ROW_KEYS))


def row_means(rows: np.ndarray) -> dict[str, float]:
    """Column means of :func:`episode_rows`'s rows, by :data:`ROW_KEYS`."""
    return dict(zip(ROW_KEYS, (float(v) for v in np.asarray(rows).mean(axis=0)), strict=True))


def mean_ci(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean and 95% CI half-width (normal) of per-episode values (``inf`` for one value)."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or len(x) == 0 or not np.isfinite(x).all():
        raise ValueError(f"values must be a non-empty 1-d sequence of finite numbers, got {x!r}")
    half = 1.96 * float(x.std(ddof=1)) / math.sqrt(len(x)) if len(x) > 1 else math.inf
    return float(x.mean()), half


def versus_fixed(
    learner: Sequence[float] | np.ndarray, fixed: Mapping[str, Sequence[float] | np.ndarray]
) -> dict[str, Any]:
    """The learner's per-episode returns against each fixed policy's on the same seeds.

    Returns ``{"learner": (mean, ci95), "fixed": {name: (mean, ci95)}, "best_fixed": name,
    "paired_difference": (mean, ci95), "wins": bool}``.
    """
    if not fixed:
        raise ValueError("fixed must name at least one fixed policy")
    n = len(learner)
    for name, values in fixed.items():
        if len(values) != n:
            raise ValueError(
                f"fixed[{name!r}] has {len(values)} episodes, the learner {n}: "
                "compare on the same seeds"
            )
    ours = mean_ci(learner)
    table = {name: mean_ci(values) for name, values in fixed.items()}
    best = max(table, key=lambda name: table[name][0])
    diff = mean_ci(np.asarray(learner, dtype=np.float64) - np.asarray(fixed[best]))
    wins = ours[0] - ours[1] > table[best][0] + table[best][1]
    return {
        "learner": ours,
        "fixed": table,
        "best_fixed": best,
        "paired_difference": diff,
        "wins": bool(wins),
    }


def format_comparison(label: str, result: Mapping[str, Any]) -> list[str]:
    """Printable lines of :func:`versus_fixed`'s ``result``, the learner named ``label``."""
    rows = {label: result["learner"], **result["fixed"]}
    width = max(len(name) for name in rows)
    best = result["best_fixed"]
    lines = []
    for name, (m, h) in rows.items():
        mark = "  <- best fixed" if name == best else ""
        lines.append(f"  {name:<{width}}  {m:7.3f} ± {h:.3f}{mark}")
    d, h = result["paired_difference"]
    verdict = "above" if result["wins"] else "not above"
    lines.append(
        f"  {label} - {best} (paired, same seeds): {d:+.3f} ± {h:.3f}; "
        f"{label}'s CI is {verdict} the best fixed policy's"
    )
    return lines

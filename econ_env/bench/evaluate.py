"""Evaluate policies on an environment: seeded episodes, accuracy and token totals per policy.

``evaluate(env_fn, policy_fn, episodes, seed)`` plays ``episodes`` episodes with seeds
``seed, seed + 1, ...`` (so every policy sees the same questions) and returns an
:class:`EvalResult` with accuracy (and a 95% Wilson interval), mean billed and generated tokens
per episode, mean team return and mean rounds. The policy is built by ``policy_fn(spec, seed)``
from the env's public :class:`~econ_env.core.spec.EnvSpec` (``econ_env.make_policy`` with a name,
or a class such as ``TruthfulBidder``), and the episodes are played by
:func:`econ_env.core.rollout.play_episode`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from econ_env.bench.summary import run_episodes
from econ_env.core.spec import EnvSpec


@dataclass(frozen=True)
class EvalResult:
    """Summary of one policy's evaluation."""

    policy: str
    episodes: int
    accuracy: float
    accuracy_low: float
    accuracy_high: float
    billed_tokens: float
    generated_tokens: float
    mean_return: float
    mean_rounds: float


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def evaluate(
    env_fn: Callable[[], Any],
    policy_fn: Callable[[EnvSpec, int], Any],
    *,
    name: str,
    episodes: int = 100,
    seed: int = 0,
    progress: bool = True,
) -> EvalResult:
    """Play ``episodes`` seeded episodes of ``env_fn()`` with the policy
    ``policy_fn(env.unwrapped.env_spec, seed)`` (built from the env's public description, never
    from the env)."""
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    env = env_fn()
    summary = run_episodes(
        env,
        policy_fn(env.unwrapped.env_spec, seed),
        policy_name=name,
        episodes=episodes,
        seed=seed,
        progress=progress,
    )
    correct = summary.correct
    low, high = wilson_interval(correct, episodes)
    return EvalResult(
        name,
        episodes,
        correct / episodes,
        low,
        high,
        summary.billed / episodes,
        summary.generated / episodes,
        summary.returns / episodes,
        summary.rounds / episodes,
    )


def format_table(results: list[EvalResult]) -> str:
    """A plain-text table of results."""
    header = (
        f"{'policy':<12} {'episodes':>8} {'accuracy':>9} {'95% CI':>13} "
        f"{'billed tok':>11} {'generated tok':>14} {'return':>8} {'rounds':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.policy:<12} {r.episodes:>8d} {r.accuracy:>9.3f} "
            f"{f'[{r.accuracy_low:.2f}, {r.accuracy_high:.2f}]':>13} "
            f"{r.billed_tokens:>11.1f} {r.generated_tokens:>14.1f} "
            f"{r.mean_return:>8.3f} {r.mean_rounds:>7.2f}"
        )
    return "\n".join(lines)

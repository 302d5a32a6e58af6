"""Play episodes of any econ-env environment with a policy and summarise them for people.

Used by ``econ-env run``: accuracy, stop reasons, rounds, billed / generated tokens, billed
tokens per ledger role and, where the env reports them (debate_v0), the mean reward components.
Episodes are played by :func:`econ_env.core.rollout.play_episode`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from econ_env.core.rollout import play_episode


@dataclass
class RunSummary:
    """Aggregates over the episodes of one run."""

    env_name: str
    policy: str
    episodes: int = 0
    correct: int = 0
    rounds: int = 0
    returns: float = 0.0  # summed reward of the first agent (the team return in team mode)
    billed: int = 0
    generated: int = 0
    stop_reasons: Counter = field(default_factory=Counter)
    billed_by_role: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    generated_by_role: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    components: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    component_count: int = 0

    def format(self) -> str:
        """A readable multi-line summary."""
        n = max(self.episodes, 1)
        lines = [
            f"{self.env_name} with policy {self.policy!r}: {self.episodes} episodes",
            f"  accuracy          {self.correct / n:.3f} ({self.correct}/{self.episodes})",
            f"  rounds per ep.    {self.rounds / n:.2f}",
            f"  billed tokens     {self.billed / n:.1f} per episode",
            f"  generated tokens  {self.generated / n:.1f} per episode",
            "  stop reasons      "
            + ", ".join(f"{k} {v}" for k, v in self.stop_reasons.most_common()),
            "  tokens per role (per episode, billed / generated):",
        ]
        for role in sorted(self.generated_by_role):
            lines.append(
                f"    {role:<12} {self.billed_by_role[role] / n:9.1f} / "
                f"{self.generated_by_role[role] / n:9.1f}"
            )
        if self.component_count:
            c = self.component_count
            parts = ", ".join(f"{k} {v / c:.3f}" for k, v in self.components.items())
            lines.append(f"  mean reward components per executor-round: {parts}")
        return "\n".join(lines)


def run_episodes(
    env: Any,
    policy: Any,
    *,
    policy_name: str,
    episodes: int,
    seed: int = 0,
    on_episode: Callable[[Any, int], None] | None = None,
    progress: bool = False,
) -> RunSummary:
    """Play ``episodes`` seeded episodes of ``env`` with ``policy`` and aggregate them."""
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    summary = RunSummary(env.unwrapped.metadata["name"], policy_name)
    first = env.possible_agents[0]
    for ep in tqdm(range(episodes), desc=f"{policy_name:>12}", disable=not progress):
        result = play_episode(env, policy.act, seed=seed + ep)
        summary.returns += result.returns[first]
        final = result.info
        game = env.unwrapped.game
        summary.episodes += 1
        summary.correct += int(bool(final.get("correct")))
        summary.rounds += int(final.get("round", 0))
        summary.billed += game.ledger.billed_total
        summary.generated += game.ledger.generated_total
        summary.stop_reasons[str(game.stop_reason)] += 1
        for role, (prompt, completion, billed) in game.ledger.by_role().items():
            summary.billed_by_role[role.value] += billed
            summary.generated_by_role[role.value] += prompt + completion
        for record in getattr(game, "history", []):
            for r in getattr(record, "rewards", []) or []:
                for k in ("ts", "al", "cc", "cost", "total"):
                    summary.components[k] += getattr(r, k)
                summary.component_count += 1
        if on_episode is not None:
            on_episode(env, ep)
    return summary

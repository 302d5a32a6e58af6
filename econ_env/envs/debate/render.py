"""Text rendering of a debate_v0 episode: strategy, each round's answers with the executors'
generation parameters, the (local and global) commitments, rewards and tokens, and the ending."""

from __future__ import annotations

from typing import TYPE_CHECKING

from econ_env.envs.text import clip, footer

if TYPE_CHECKING:
    from econ_env.envs.debate.config import DebateConfig
    from econ_env.envs.debate.game import DebateGame

_WIDTH = 78


def render_text(game: DebateGame, config: DebateConfig) -> str:
    """The episode so far as text (what ``render_mode="ansi"`` returns)."""
    if game.item is None:
        return "debate_v0: not reset yet"
    cut = f" (cut at {config.strategy_cap})" if game.strategy_truncated else ""
    lines = [
        "=" * _WIDTH,
        f"debate_v0 | {config.n_agents} executors | {config.groups} group(s) | "
        f"budget {config.budget} tokens | embedder {game.embedder.name}",
        f"Q [{game.item.id}]: {clip(game.item.question)}",
        f"strategy ({game.strategy_tokens} tokens{cut}): {clip(game.strategy)}",
        "-" * _WIDTH,
    ]
    for r in game.history:
        lines.append(f"round {r.round + 1}:")
        for i, agent in enumerate(game.agents):
            p, rw = r.params[i], r.rewards[i]
            lines.append(
                f"  {agent}: answer {r.answers[i]} | T={p.temperature:.2f} top_p={p.top_p:.2f} "
                f"rep={p.repetition_penalty:.2f} | reward {rw.total:+.3f} "
                f"(TS {rw.ts:.0f} AL {rw.al:.2f} CC {rw.cc:.2f} cost {rw.cost:.3f})"
            )
        for g, (text, ans) in enumerate(r.local):
            lines.append(f"  local coordinator {g}: {ans} | {clip(text, 80, 40)}")
        lines.append(f"  commitment: {r.commitment_answer} | {clip(r.commitment, 100, 60)}")
        lines.append(f"  billed this round: {r.billed} tokens")
    lines += footer(game, config.budget, _WIDTH, " (incl. embedding reads)")
    return "\n".join(lines)

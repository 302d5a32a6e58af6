"""Info fields every agent of every econ-env game gets."""

from __future__ import annotations

from typing import Any

__all__ = ["shared_info"]


def shared_info(game: Any) -> dict[str, Any]:
    """The question, the token totals and, once the game is over, its ending (stop reason,
    final answer, gold, correctness)."""
    info: dict[str, Any] = {
        "question": game.item.question,
        "billed_tokens": game.ledger.billed_total,
        "generated_tokens": game.ledger.generated_total,
        "remaining_budget": game.ledger.remaining,
    }
    if game.stop_reason is not None:
        info.update(
            stop_reason=game.stop_reason,
            final_answer=game.final_answer,
            gold=game.item.gold,
            correct=game.correct,
        )
    return info

"""Text helpers for rendering transcripts."""

from __future__ import annotations

from typing import Any


def clip(text: str, head: int = 160, tail: int = 90) -> str:
    """One line: the start and the end (where the answer is) of a long message."""
    text = " ".join(text.split())
    return text if len(text) <= head + tail + 5 else f"{text[:head]} [...] {text[-tail:]}"


def footer(game: Any, budget: int, width: int, generated_note: str = "") -> list[str]:
    """The closing lines of a render: token totals and, once the game is over, its ending."""
    ledger = game.ledger
    lines = [
        f"tokens: billed {ledger.billed_total} / {budget} | "
        f"generated {ledger.generated_total}{generated_note}"
    ]
    if game.stop_reason is not None:
        verdict = "correct" if game.correct else "wrong"
        lines.append(
            f"end: {game.stop_reason} | final answer {game.final_answer} | "
            f"gold {game.item.gold} | {verdict}"
        )
    lines.append("=" * width)
    return lines

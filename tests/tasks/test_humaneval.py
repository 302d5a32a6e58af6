"""HumanEval as a code task: items, extraction, the voting key and pass@1 in the sandbox."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest

from econ_env.tasks import check_answer, extract_answer, make_task, normalize_answer
from econ_env.tasks.code_check import (
    check_code,
    clear_memo,
    code_gold,
    code_key,
    parse_code_gold,
    solution_code,
)
from econ_env.tasks.humaneval import CODE_INSTRUCTION, humaneval_item, load_humaneval
from econ_env.tasks.registry import DATASET_TASKS

SOURCE = load_humaneval()
TEN = [f"humaneval/{n}" for n in (0, 2, 10, 17, 38, 53, 88, 101, 129, 163)]


def fenced(code: str, lang: str = "python") -> str:
    return f"Here is my solution.\n```{lang}\n{code}\n```\nDone."


def test_items() -> None:
    assert make_task("humaneval").ids() == SOURCE.ids()
    assert "humaneval" in DATASET_TASKS
    ids = SOURCE.ids()
    assert len(ids) == 164 and ids[0] == "humaneval/0" and ids[-1] == "humaneval/163"
    item = SOURCE.get("humaneval/0")
    assert item.kind == "code" and item.meta["task_id"] == "HumanEval/0"
    assert "def has_close_elements(" in item.question and item.question.endswith(CODE_INSTRUCTION)
    gold = parse_code_gold(item.gold)
    assert gold is not None and gold["entry_point"] == "has_close_elements"
    assert "def check(candidate)" in gold["test"]
    assert item.question.startswith("```python\nfrom typing import List")
    for it in SOURCE.items():
        assert 0.0 <= it.meta["difficulty"] <= 1.0
        assert it.meta["difficulty"] == round(min(1.0, it.meta["solution_lines"] / 15), 4)


def test_bad_records_and_files_raise(tmp_path: Path) -> None:
    row = {
        "task_id": "HumanEval/1",
        "prompt": "def f():\n",
        "test": "def check(c): pass",
        "entry_point": "f",
        "canonical_solution": "    return 1\n",
    }
    assert humaneval_item(row).id == "humaneval/1"
    with pytest.raises(ValueError, match="'test'"):
        humaneval_item({**row, "test": ""})
    with pytest.raises(ValueError, match="task_id"):
        humaneval_item({**row, "task_id": "MBPP/1"})
    path = tmp_path / "he.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.write(json.dumps(row) + "\n")
    assert load_humaneval(path).ids() == ("humaneval/1",)
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(ValueError, match="line 1"):
        load_humaneval(tmp_path / "bad.jsonl")
    with pytest.raises(ValueError, match="not a file"):
        load_humaneval(tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match="entry_point"):
        code_gold("def f():\n", "def check(c): pass", "not an identifier")


def test_extraction_takes_the_last_fence_else_parseable_text() -> None:
    text = (
        "First try:\n```python\ndef f():\n    return 1\n```\n"
        "Better:\n```\ndef f():\n    return 2\n```"
    )
    assert extract_answer(text, "code") == "def f():\n    return 2"
    assert extract_answer("def f():\n    return 3\n", "code") == "def f():\n    return 3"
    assert extract_answer("I could not solve it, sorry.", "code") is None
    assert extract_answer("Let me think step by step. ...", "code") is None


def test_voting_key_ignores_formatting_and_comments() -> None:
    a = "def f(x):\n    # add one\n    return x+1\n"
    b = "def f( x ):\n\n    return (x + 1)"
    assert code_key(a) == code_key(b) == "def f(x):\n    return x + 1"
    assert normalize_answer(a, "code") == normalize_answer(b, "code")
    assert normalize_answer("not python at all (", "code") == "not python at all ("
    for text in (a, "x = 1  # c", "return ("):
        key = normalize_answer(text, "code")
        assert normalize_answer(key, "code") == key
    assert normalize_answer("  ", "code") is None


@pytest.mark.parametrize("item_id", TEN)
def test_canonical_solutions_pass(item_id: str) -> None:
    item = SOURCE.get(item_id)
    sol = solution_code(item.gold)
    assert sol is not None
    answer = normalize_answer(extract_answer(fenced(sol), "code"), "code")
    assert check_answer(answer, item.gold, "code")
    body = parse_code_gold(item.gold)["canonical_solution"]  # a bare body continues the prompt
    assert check_answer(body, item.gold, "code")


def test_wrong_and_harmful_answers_fail() -> None:
    item = SOURCE.get("humaneval/0")
    wrong = "def has_close_elements(numbers, threshold):\n    return False"
    assert not check_answer(wrong, item.gold, "code")
    assert not check_answer(None, item.gold, "code")
    assert not check_answer("", item.gold, "code")
    assert not check_answer("def has_close_elements(:", item.gold, "code")
    loop = "def has_close_elements(numbers, threshold):\n    while True:\n        pass"
    start = time.monotonic()
    assert not check_answer(loop, item.gold, "code")
    assert time.monotonic() - start < 12
    harm = "import os\nos.system('rm -rf /')\ndef has_close_elements(n, t):\n    return True"
    assert not check_answer(harm, item.gold, "code")


def test_results_are_memoised() -> None:
    clear_memo()
    item = SOURCE.get("humaneval/2")
    sol = solution_code(item.gold)
    start = time.perf_counter()
    assert check_code(sol, item.gold)
    first = time.perf_counter() - start
    start = time.perf_counter()
    assert check_code(sol, item.gold)
    assert time.perf_counter() - start < first / 10


def test_plain_text_code_golds_compare_by_key() -> None:
    assert check_answer("def f():  return 1", "def f(): return 1", "code")
    assert not check_answer("def f(): return 2", "def f(): return 1", "code")

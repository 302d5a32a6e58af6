"""Code answers: the gold format of executable code items, the voting key, and pass@1 checking.

A code item whose answer is checked by running tests (HumanEval, :mod:`econ_env.tasks.humaneval`)
carries a *code gold*: a JSON object string (keys sorted) with

* ``"prompt"``: the function signature and docstring (with the imports and helper functions
  the task defines);
* ``"test"``: the test source defining ``check(candidate)``;
* ``"entry_point"``: the name of the function under test;
* ``"canonical_solution"`` (optional): the reference body completing ``prompt`` (used by the
  simulated backend as the correct answer).

:func:`check_code` runs ``prompt + answer + test + check(entry_point)`` in the sandbox
(:func:`econ_env.sandbox.run_python`, :data:`CODE_LIMITS`) and is true only when that exits 0.
``prompt`` comes first so that an answer that is a bare function body continues the signature and
an answer that (re)defines the whole function replaces the stub while keeping the prompt's
imports and helpers. Results are memoised in a bounded in-process LRU keyed by
``sha256(answer, gold)``.

:func:`code_key` is the comparison/voting key of a code answer: the code re-printed from its
syntax tree (``ast.unparse``: comments and formatting dropped, still runnable) when it parses,
else the stripped text. A gold that is not a code gold (plain text) is compared by that key.
"""

from __future__ import annotations

import ast
import hashlib
import json
import threading
import warnings
from collections import OrderedDict
from functools import lru_cache

from econ_env.sandbox import Limits, run_python

__all__ = [
    "CODE_LIMITS",
    "check_code",
    "clear_memo",
    "code_gold",
    "code_key",
    "parse_code_gold",
    "parses",
    "program",
    "solution_code",
]

_MAX_PARSE_CHARS = 200_000
_MAX_ANSWER_CHARS = 1_000_000
_MEMO_SIZE = 4096
_memo: OrderedDict[str, bool] = OrderedDict()
_memo_lock = threading.Lock()


CODE_LIMITS = Limits(cpu_s=5.0, memory_bytes=512 * 2**20, file_bytes=2**20, wall_s=15.0)
"""Limits of one test run: 5 s CPU, 512 MiB address space, 1 MiB files, 15 s wall."""


def code_gold(
    prompt: str, test: str, entry_point: str, canonical_solution: str | None = None
) -> str:
    """The gold string of an executable code item (see the module docstring)."""
    for name, value in (("prompt", prompt), ("test", test), ("entry_point", entry_point)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"code gold: {name} must be a non-empty string, got {value!r}")
    if not entry_point.isidentifier():
        raise ValueError(f"code gold: entry_point must be an identifier, got {entry_point!r}")
    data = {"prompt": prompt, "test": test, "entry_point": entry_point}
    if canonical_solution is not None:
        data["canonical_solution"] = canonical_solution
    return json.dumps(data, sort_keys=True)


@lru_cache(maxsize=1024)
def parse_code_gold(gold: str) -> dict[str, str] | None:
    """The fields of a code gold, or ``None`` when ``gold`` is not one (plain-text gold)."""
    if not isinstance(gold, str) or not gold.startswith("{") or len(gold) > 4 * _MAX_PARSE_CHARS:
        return None
    try:
        data = json.loads(gold)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    fields = ("prompt", "test", "entry_point")
    if not all(isinstance(data.get(k), str) and data[k] for k in fields):
        return None
    if not data["entry_point"].isidentifier():
        return None
    sol = data.get("canonical_solution")
    if sol is not None and not isinstance(sol, str):
        return None
    return {k: v for k, v in data.items() if k in (*fields, "canonical_solution")}


def _parse(text: str) -> ast.Module | None:
    if len(text) > _MAX_PARSE_CHARS or "\x00" in text:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


@lru_cache(maxsize=8192)
def code_key(text: str) -> str | None:
    """Voting key of a code answer: ``ast.unparse`` of its tree when it parses and is not empty,
    else the stripped text (``None`` for blank text). Idempotent."""
    s = text.strip()
    if not s:
        return None
    tree = _parse(s)
    if tree is None or not tree.body:
        return s
    try:
        key = ast.unparse(tree).strip()
    except (ValueError, RecursionError, AttributeError):
        return s
    return key or s


def parses(text: str) -> bool:
    """Whether ``text`` is non-empty Python that parses."""
    tree = _parse(text)
    return tree is not None and bool(tree.body)


def solution_code(gold: str) -> str | None:
    """The reference program of a code gold (``prompt + canonical_solution``), else ``None``."""
    data = parse_code_gold(gold)
    if data is None or not data.get("canonical_solution"):
        return None
    return data["prompt"] + data["canonical_solution"]


def program(answer: str, data: dict[str, str]) -> str:
    """The script that tests ``answer`` against a parsed code gold."""
    return f"{data['prompt']}\n{answer}\n\n\n{data['test']}\n\n\ncheck({data['entry_point']})\n"


def check_code(answer: str | None, gold: str) -> bool:
    """Whether ``answer`` passes the tests of the code gold ``gold`` in the sandbox.

    ``False`` for ``None``, an empty or oversized answer, or a gold that is not a code gold.
    """
    data = parse_code_gold(gold)
    if answer is None or data is None:
        return False
    answer = str(answer)
    if not answer.strip() or len(answer) > _MAX_ANSWER_CHARS:
        return False
    digest = hashlib.sha256(
        len(answer).to_bytes(8, "big") + answer.encode("utf-8", "surrogatepass") + gold.encode()
    ).hexdigest()
    with _memo_lock:
        if digest in _memo:
            _memo.move_to_end(digest)
            return _memo[digest]
    result = run_python(program(answer, data), limits=CODE_LIMITS)
    ok = result.status == "passed"
    with _memo_lock:
        _memo[digest] = ok
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return ok


def clear_memo() -> None:
    """Forget memoised check results (tests)."""
    with _memo_lock:
        _memo.clear()

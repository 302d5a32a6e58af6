"""The batched envs' task items: a pool of items drawn from the text env's task source, as tensors.

The text envs draw a fresh item every episode and hand its text to the simulated backend. The
batched envs cannot carry text, so :func:`build_item_table` draws a pool of ``size`` items once
(from the same task source, with its own seeded generator) and keeps what the simulated model
needs of each as tensors (:class:`ItemTable`): the difficulty, the task features of the
observation, and every answer the simulated agents can give — index 0 is the gold answer, index
``k >= 1`` the item's ``k``-th distractor (:func:`econ_env.llm.simulated.distractors.distractors`,
cut to ``SimParams.n_distractors`` for non-choice items), index ``-1`` no answer (a truncated
output) — with the character counts of everything the simulated backend writes or reads about
it (question, answer strings, the numbers its templated reasoning mentions), so that the
batched envs count prompt tokens exactly as the text envs do (``ceil(chars / chars_per_token)
+ per_message_overhead · messages``).

Episodes draw an item index uniformly from the pool. With the default pool of 2,048 items from
an unlimited procedural source, the item distribution matches the text env's up to the pool's
sampling error (an intentional difference, documented in :mod:`econ_env.vector`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from econ_env.llm.simulated.backend import FILLER, NUMBER_RE, OPENINGS
from econ_env.llm.simulated.distractors import distractors
from econ_env.llm.simulated.params import SimParams
from econ_env.tasks.answers import check_answer, extract_answer, normalize_answer
from econ_env.tasks.base import TaskItem
from econ_env.tasks.features import TASK_FEATURE_DIM, task_features

__all__ = [
    "ItemTable",
    "build_item_table",
    "filler_trim_table",
    "item_answers",
    "item_table",
    "truncated_text",
]

MAX_POOL = 1 << 20


@dataclass(frozen=True)
class ItemTable:
    """A pool of task items as tensors (every tensor's first dimension is the item index).

    Attributes:
        items: the :class:`~econ_env.tasks.base.TaskItem` objects (for text prompts' lengths).
        difficulty: ``meta["difficulty"]`` in [0, 1] (float32).
        features: ``task_features(item)`` (float32, ``(M, 8)``).
        n_answers: 1 + the number of distractors of each item (int64).
        answer_chars: length of answer ``a`` as the backend writes it in a fresh answer
            (``(M, A)``, 0 beyond ``n_answers``).
        norm_chars: length of answer ``a`` as extracted and normalised (what others hear).
        canon: the index of the first answer with the same normalised form (``(M, A)``); the
            last column is the answer extracted from a cut-off text (``finish_reason ==
            "length"``: no boxed answer, so extraction falls back to the last number the
            templated reasoning mentions), ``-1`` when there is none.
        correct: whether answer ``a`` checks as correct (``(M, A)`` bool).
        question_chars: characters of the question.
        numbers_chars: characters of `` The question involves N1, N2, N3.`` (0 without numbers).
        is_choice: multiple-choice items (their system prompts carry the choice hint).
    """

    items: tuple[TaskItem, ...]
    difficulty: torch.Tensor
    features: torch.Tensor
    n_answers: torch.Tensor
    answer_chars: torch.Tensor
    norm_chars: torch.Tensor
    canon: torch.Tensor
    correct: torch.Tensor
    question_chars: torch.Tensor
    numbers_chars: torch.Tensor
    is_choice: torch.Tensor

    @property
    def size(self) -> int:
        return len(self.items)

    def row(self, field: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
        """``field[item]`` for a per-item tensor (``index_select``: several times faster on
        CPU than advanced indexing)."""
        return field.index_select(0, item.reshape(-1)).reshape(*item.shape, *field.shape[1:])

    def cell(self, field: torch.Tensor, item: torch.Tensor, answer: torch.Tensor) -> torch.Tensor:
        """``field[item, answer]`` for a per-(item, answer) tensor; ``item`` and ``answer``
        broadcast."""
        item, answer = torch.broadcast_tensors(item, answer)
        flat = (item * field.shape[1] + answer).reshape(-1)
        return field.reshape(-1).index_select(0, flat).reshape(item.shape)

    @property
    def cut_answer(self) -> torch.Tensor:
        """``(M,)``: the canonical answer of a cut-off text (``-1``: none)."""
        return self.canon[:, -1]

    @property
    def width(self) -> int:
        """A: the most answers any item has (gold + distractors)."""
        return int(self.answer_chars.shape[1])


def item_answers(item: TaskItem, params: SimParams) -> list[str]:
    choices = item.meta.get("choices")
    n_choices = len(choices) if choices else 4
    ds = distractors(item.id, item.gold, item.kind, n_choices)
    if item.kind != "choice":
        ds = ds[: params.n_distractors]
    return [item.gold, *(ds if ds else (f"not {item.gold}",))]


def truncated_text(question: str) -> str:
    """What a cut-off draft says (the backend's head and filler, no boxed answer): answer
    extraction then falls back to the last number it mentions, one of the question's."""
    found = NUMBER_RE.findall(question)[:3]
    numbers = f" The question involves {', '.join(found)}." if found else ""
    return f"{OPENINGS[0]}{numbers} {FILLER} ..."


def build_item_table(
    task: Any, params: SimParams, size: int, seed: int, device: torch.device
) -> ItemTable:
    """Draw ``size`` items from ``task`` (a task source with ``sample(rng)``) with a generator
    seeded by ``seed`` and tabulate them on ``device``."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_POOL:
        raise ValueError(f"item_pool must be an integer in [1, {MAX_POOL}], got {size!r}")
    rng = np.random.default_rng(seed)
    items = tuple(task.sample(rng) for _ in range(size))
    rows = [item_answers(it, params) for it in items]
    width = max(len(r) for r in rows) + 1  # the last column: the answer of a cut-off text
    ans = np.zeros((size, width), np.int64)
    norm = np.zeros((size, width), np.int64)
    canon = np.zeros((size, width), np.int64)
    correct = np.zeros((size, width), bool)
    for m, (it, row) in enumerate(zip(items, rows, strict=True)):
        keys: dict[str, int] = {}
        for a, text in enumerate(row):
            extracted = normalize_answer(extract_answer(f"\\boxed{{{text}}}", it.kind), it.kind)
            key = extracted if extracted is not None else text.strip()
            ans[m, a] = len(text)
            norm[m, a] = len(key)
            canon[m, a] = keys.setdefault(key, a)
            correct[m, a] = bool(check_answer(extracted, it.gold, it.kind))
        for a in range(len(row), width):
            canon[m, a] = a
        cut = normalize_answer(extract_answer(truncated_text(it.question), it.kind), it.kind)
        last = width - 1
        if cut is None:
            canon[m, last] = -1
        else:
            ans[m, last] = norm[m, last] = len(cut)
            canon[m, last] = keys.get(cut, last)
            correct[m, last] = bool(check_answer(cut, it.gold, it.kind))
    numbers = []
    for it in items:
        found = NUMBER_RE.findall(it.question)[:3]
        numbers.append(len(f"The question involves {', '.join(found)}.") + 1 if found else 0)
    difficulty = [float(it.meta.get("difficulty", 0.5)) for it in items]
    for it, d in zip(items, difficulty, strict=True):
        if not 0.0 <= d <= 1.0:
            raise ValueError(f"item {it.id!r}: meta['difficulty'] must be in [0, 1], got {d}")
    feats = np.stack([task_features(it) for it in items]).astype(np.float32)
    assert feats.shape[1] == TASK_FEATURE_DIM

    def t(x: Any, dtype: torch.dtype) -> torch.Tensor:
        return torch.as_tensor(np.asarray(x), dtype=dtype, device=device)

    return ItemTable(
        items=items,
        difficulty=t(difficulty, torch.float32),
        features=t(feats, torch.float32),
        n_answers=t([len(r) for r in rows], torch.int64),
        answer_chars=t(ans, torch.int64),
        norm_chars=t(norm, torch.int64),
        canon=t(canon, torch.int64),
        correct=t(correct, torch.bool),
        question_chars=t([len(it.question) for it in items], torch.int64),
        numbers_chars=t(numbers, torch.int64),
        is_choice=t([it.kind == "choice" for it in items], torch.bool),
    )


_TABLES: dict[tuple, ItemTable] = {}
_MAX_CACHED = 16


def item_table(
    task: Any, task_kwargs: dict, params: SimParams, size: int, seed: int, device: torch.device
) -> ItemTable:
    """:func:`build_item_table` for a task named by ``task`` (a registered name) with
    ``task_kwargs``, memoised per process (a table is read-only; building one draws ``size``
    items, about a millisecond each); a task source object is tabulated afresh."""
    from econ_env.tasks.registry import make_task

    try:
        key = (task, json.dumps(task_kwargs, sort_keys=True), params.to_dict().__repr__(),
               size, seed, str(device))  # fmt: skip
        hash(key)
    except (TypeError, ValueError):
        key = None
    if key is not None and key in _TABLES:
        return _TABLES[key]
    table = build_item_table(make_task(task, **task_kwargs), params, size, seed, device)
    if key is not None:
        if len(_TABLES) >= _MAX_CACHED:
            _TABLES.pop(next(iter(_TABLES)))
        _TABLES[key] = table
    return table


def filler_trim_table(max_missing: int, device: torch.device, filler: str = FILLER) -> torch.Tensor:
    """``trim[m]``: the length of the simulated backend's ``filler`` cut to ``m`` characters
    and then back to its last word boundary (``(filler * reps)[:m].rsplit(" ", 1)[0]``)."""
    size = max(int(max_missing), 0) + 2
    reps = size // len(filler) + 2
    text = np.frombuffer((filler * reps).encode(), dtype=np.uint8)
    spaces = np.flatnonzero(text == ord(" "))
    m = np.arange(size)
    pos = np.searchsorted(spaces, m, side="left") - 1  # last space index < m
    trim = np.where(pos >= 0, spaces[np.maximum(pos, 0)], m)
    return torch.as_tensor(trim, dtype=torch.int64, device=device)

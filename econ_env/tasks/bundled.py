"""Finite task sources held in memory, and the JSONL loader behind the bundled samples.

A JSONL task file has one JSON object per line with the fields of :class:`TaskItem`::

    {"id": "gsm8k/test/0", "question": "...", "gold": "18", "kind": "numeric",
     "meta": {"difficulty": 0.25, "source": "gsm8k"}}

``id`` is optional (default ``"<name>/<line index>"``), ``kind`` may come from the loader's
``kind`` argument, ``answer`` is accepted in place of ``gold``, and any other top-level key is
merged into ``meta``. A ``meta["choices"]`` list becomes a tuple. Loading needs no network.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from econ_env.tasks.base import TASK_KINDS, TaskItem

__all__ = ["DATA_DIR", "FiniteTaskSource", "from_jsonl", "item_from_record", "item_to_record"]

DATA_DIR = Path(__file__).resolve().with_name("data")
_ITEM_KEYS = ("id", "question", "gold", "answer", "kind", "meta")


class FiniteTaskSource:
    """A fixed, ordered collection of task items with unique ids.

    ``sample(rng)`` draws uniformly with ``rng.integers``; ``get(id)`` looks an item up;
    ``ids()`` lists all ids in file order.
    """

    def __init__(self, name: str, items: Iterable[TaskItem]) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self.name = name
        self._items: tuple[TaskItem, ...] = tuple(items)
        if not self._items:
            raise ValueError(f"task source {name!r} has no items (items must be non-empty)")
        self._by_id: dict[str, TaskItem] = {}
        for item in self._items:
            if item.id in self._by_id:
                raise ValueError(f"task source {name!r}: duplicate item id {item.id!r}")
            self._by_id[item.id] = item
        self._ids = tuple(self._by_id)

    def sample(self, rng: np.random.Generator) -> TaskItem:
        """Draw one item uniformly at random using only ``rng``."""
        return self._items[int(rng.integers(len(self._items)))]

    def get(self, item_id: str) -> TaskItem:
        """The item with this id (``KeyError`` naming the id and the source when absent)."""
        try:
            return self._by_id[item_id]
        except KeyError:
            raise KeyError(f"no item with id {item_id!r} in task source {self.name!r}") from None

    def ids(self) -> Sequence[str]:
        """All item ids, in order."""
        return self._ids

    def items(self) -> tuple[TaskItem, ...]:
        """All items, in order."""
        return self._items

    def filter(self, predicate: Any, *, name: str | None = None) -> FiniteTaskSource:
        """A new source with the items for which ``predicate(item)`` is true."""
        return FiniteTaskSource(name or self.name, (it for it in self._items if predicate(it)))

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[TaskItem]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"FiniteTaskSource(name={self.name!r}, n_items={len(self._items)})"


def item_from_record(
    record: Mapping[str, Any], *, default_id: str, kind: str | None = None
) -> TaskItem:
    """Build a :class:`TaskItem` from one JSON record (see the module docstring)."""
    if "question" not in record:
        raise ValueError(f"record {default_id!r} has no 'question' field")
    gold = record.get("gold", record.get("answer"))
    if gold is None:
        raise ValueError(f"record {default_id!r} has no 'gold' (or 'answer') field")
    item_kind = record.get("kind", kind)
    if item_kind not in TASK_KINDS:
        raise ValueError(
            f"record {default_id!r}: kind must be one of {TASK_KINDS}, got {item_kind!r}"
        )
    meta: dict[str, Any] = dict(record.get("meta") or {})
    for key, value in record.items():
        if key not in _ITEM_KEYS:
            meta.setdefault(key, value)
    if isinstance(meta.get("choices"), list):
        meta["choices"] = tuple(meta["choices"])
    return TaskItem(
        id=str(record.get("id", default_id)),
        question=str(record["question"]),
        gold=str(gold),
        kind=item_kind,
        meta=meta,
    )


def item_to_record(item: TaskItem) -> dict[str, Any]:
    """The JSON record of ``item`` (inverse of :func:`item_from_record`)."""
    meta = {k: (list(v) if isinstance(v, tuple) else v) for k, v in item.meta.items()}
    return {
        "id": item.id,
        "question": item.question,
        "gold": item.gold,
        "kind": item.kind,
        "meta": meta,
    }


def from_jsonl(
    path: str | Path, *, kind: str | None = None, name: str | None = None
) -> FiniteTaskSource:
    """Load a finite task source from a JSONL file (``name`` defaults to the file stem)."""
    path = Path(path)
    src_name = name or path.stem
    if kind is not None and kind not in TASK_KINDS:
        raise ValueError(f"kind must be one of {TASK_KINDS} or None, got {kind!r}")
    items = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno + 1}: invalid JSON ({exc.msg})") from None
            items.append(item_from_record(record, default_id=f"{src_name}/{lineno}", kind=kind))
    return FiniteTaskSource(src_name, items)

"""Task items and the ``TaskSource`` protocol.

A ``TaskItem`` is one question with its gold answer. A ``TaskSource`` hands out items: finite
sources (bundled benchmark samples) index them by id; procedural sources generate an unlimited,
seedable stream. Sources are created by name through :mod:`econ_env.tasks.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

TaskKind = Literal["numeric", "choice", "latex", "code"]
TASK_KINDS: tuple[str, ...] = ("numeric", "choice", "latex", "code")


@dataclass(frozen=True)
class TaskItem:
    """One question.

    Attributes:
        id: stable identifier, unique within its source (e.g. ``"gsm8k/test/17"``).
        question: the prompt text shown to agents (``choice`` items include the lettered
            options).
        gold: the gold answer as a string (a number, a choice letter, a LaTeX expression).
        kind: one of ``numeric``, ``choice``, ``latex``, ``code``.
        meta: extra fields; ``meta["difficulty"]`` (float in [0, 1]) is read by the simulated
            backend, ``meta["choices"]`` (tuple of option texts) for ``choice`` items,
            ``meta["source"]`` names the dataset.
    """

    id: str
    question: str
    gold: str
    kind: TaskKind
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in TASK_KINDS:
            raise ValueError(f"TaskItem.kind must be one of {TASK_KINDS}, got {self.kind!r}")


@runtime_checkable
class TaskSource(Protocol):
    """Hands out task items."""

    name: str

    def sample(self, rng: np.random.Generator) -> TaskItem:
        """Draw one item using only ``rng`` for randomness."""
        ...

    def get(self, item_id: str) -> TaskItem:
        """Return the item with this id (``KeyError`` naming the id when absent)."""
        ...

    def ids(self) -> Sequence[str] | None:
        """All item ids for a finite source; ``None`` for an unlimited procedural source."""
        ...

"""Fixed-size numeric features of a task item, for the environments' observations.

``task_features(item)`` returns a float32 vector of length ``TASK_FEATURE_DIM = 8``; every
value lies in [0, 1]. Layout:

====  ===========================================================================
 idx  feature
====  ===========================================================================
 0-3  kind one-hot, in the order of ``TASK_KINDS``: numeric, choice, latex, code
 4    question length in characters / 1000, clipped to [0, 1]
 5    count of numbers in the question / 20, clipped to [0, 1]
 6    difficulty: ``meta["difficulty"]`` (default 0.5; clipped, NaN -> 0.5)
 7    number of choices / 10 for ``choice`` items (``len(meta["choices"])``), else 0
====  ===========================================================================

It is called once per episode reset, so it only does a regex count and a few lookups.
"""

from __future__ import annotations

import math
import re

import numpy as np

from econ_env.tasks.base import TASK_KINDS, TaskItem

__all__ = ["TASK_FEATURE_DIM", "TASK_FEATURE_NAMES", "task_features"]

TASK_FEATURE_DIM = 8
TASK_FEATURE_NAMES: tuple[str, ...] = (
    "kind_numeric",
    "kind_choice",
    "kind_latex",
    "kind_code",
    "question_length",
    "number_count",
    "difficulty",
    "choice_count",
)
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_KIND_INDEX = {kind: i for i, kind in enumerate(TASK_KINDS)}


def _clip01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def task_features(item: TaskItem) -> np.ndarray:
    """Feature vector of ``item`` (float32, shape ``(TASK_FEATURE_DIM,)``, values in [0, 1])."""
    out = np.zeros(TASK_FEATURE_DIM, dtype=np.float32)
    out[_KIND_INDEX[item.kind]] = 1.0
    question = item.question
    out[4] = _clip01(len(question) / 1000.0)
    out[5] = _clip01(len(_NUMBER_RE.findall(question)) / 20.0)
    meta = item.meta
    try:
        difficulty = float(meta.get("difficulty", 0.5))
    except (TypeError, ValueError):
        difficulty = 0.5
    out[6] = 0.5 if math.isnan(difficulty) else _clip01(difficulty)
    if item.kind == "choice":
        choices = meta.get("choices") or ()
        out[7] = _clip01(len(choices) / 10.0)
    return out

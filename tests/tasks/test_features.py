"""Tests for econ_env.tasks.features."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.tasks.base import TASK_KINDS, TaskItem
from econ_env.tasks.features import TASK_FEATURE_DIM, TASK_FEATURE_NAMES, task_features


def test_layout() -> None:
    item = TaskItem(
        id="t/0",
        question="Q? 1 2 3\n\nA. x\nB. y\nC. z\nD. w",
        gold="B",
        kind="choice",
        meta={"difficulty": 0.7, "choices": ("x", "y", "z", "w")},
    )
    f = task_features(item)
    assert f.dtype == np.float32 and f.shape == (TASK_FEATURE_DIM,) == (8,)
    assert len(TASK_FEATURE_NAMES) == TASK_FEATURE_DIM
    np.testing.assert_array_equal(f[:4], [0, 1, 0, 0])
    assert f[4] == np.float32(len(item.question) / 1000)
    assert f[5] == np.float32(3 / 20)
    assert f[6] == np.float32(0.7)
    assert f[7] == np.float32(0.4)


def test_defaults_and_clipping() -> None:
    item = TaskItem(id="t/1", question="x" * 5000 + " 1" * 50, gold="1", kind="numeric")
    f = task_features(item)
    np.testing.assert_array_equal(f[:4], [1, 0, 0, 0])
    assert f[4] == 1.0 and f[5] == 1.0
    assert f[6] == np.float32(0.5)  # default difficulty
    assert f[7] == 0.0  # not a choice item
    nan_item = TaskItem(id="t/2", question="q", gold="1", kind="latex", meta={"difficulty": "nan"})
    assert task_features(nan_item)[6] == np.float32(0.5)


@settings(max_examples=150, deadline=None)
@given(
    question=st.text(max_size=2000),
    kind=st.sampled_from(TASK_KINDS),
    difficulty=st.floats(allow_nan=True, allow_infinity=True),
    n_choices=st.integers(0, 30),
)
def test_values_in_unit_interval(
    question: str, kind: str, difficulty: float, n_choices: int
) -> None:
    meta = {"difficulty": difficulty, "choices": tuple("x" * n_choices)}
    f = task_features(TaskItem(id="t", question=question, gold="1", kind=kind, meta=meta))
    assert f.dtype == np.float32 and f.shape == (TASK_FEATURE_DIM,)
    assert np.all((f >= 0.0) & (f <= 1.0))
    assert f[:4].sum() == 1.0 and f[TASK_KINDS.index(kind)] == 1.0

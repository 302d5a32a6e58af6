"""Tests for econ_env.core.beliefs: belief vector → generation parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.core.beliefs import BeliefMap, GenerationParams

BM = BeliefMap()


def test_defaults_for_missing_belief() -> None:
    for b in (None, [], np.zeros(0)):
        p = BM.to_params(b)
        assert p == GenerationParams(0.7, 1.0, 1.0)


def test_endpoints_and_midpoints() -> None:
    lo = BM.to_params([-1.0, -1.0, -1.0])
    hi = BM.to_params(np.array([1.0, 1.0, 1.0, 0.3, -0.9]))
    assert lo == GenerationParams(BM.t_min, BM.top_p_min, 1.0)
    assert hi == GenerationParams(BM.t_max, BM.top_p_max, BM.rep_max)
    mid = BM.to_params((0.0, 0.0, 0.0))
    assert mid.temperature == pytest.approx((BM.t_min + BM.t_max) / 2)
    assert mid.top_p == pytest.approx((BM.top_p_min + BM.top_p_max) / 2)
    assert mid.repetition_penalty == pytest.approx((1.0 + BM.rep_max) / 2)
    # Missing dims take the defaults; extra dims are ignored.
    one = BM.to_params([1.0])
    assert (one.temperature, one.top_p, one.repetition_penalty) == (BM.t_max, 1.0, 1.0)


def test_clipping_and_non_finite() -> None:
    assert BM.to_params([5.0, -7.0, 100.0]) == BM.to_params([1.0, -1.0, 1.0])
    for bad in ([math.nan], [0.0, math.inf], np.array([0.1, 0.2, 0.3, -math.inf])):
        with pytest.raises(ValueError, match="belief"):
            BM.to_params(bad)
    with pytest.raises(ValueError, match="belief"):
        BM.to_params(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="belief"):
        BM.to_params(["x"])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"t_min": -0.1}, "t_min"),
        ({"t_min": 1.3, "t_max": 1.3}, "t_min"),
        ({"top_p_min": 0.0}, "top_p_min"),
        ({"top_p_max": 1.1}, "top_p_max"),
        ({"top_p_min": 0.9, "top_p_max": 0.8}, "top_p_min"),
        ({"rep_max": 0.99}, "rep_max"),
        ({"t_max": math.nan}, "t_max"),
        ({"default_temperature": 2.0}, "default_temperature"),
        ({"default_top_p": 0.2}, "default_top_p"),
    ],
)
def test_belief_map_validation(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        BeliefMap(**kwargs)


def test_generation_params_validation() -> None:
    with pytest.raises(ValueError, match="temperature"):
        GenerationParams(-0.1, 1.0)
    with pytest.raises(ValueError, match="top_p"):
        GenerationParams(0.5, 0.0)
    with pytest.raises(ValueError, match="repetition_penalty"):
        GenerationParams(0.5, 1.0, 0.9)
    assert GenerationParams(0.5, 0.9, 1.1).as_kwargs() == {
        "temperature": 0.5,
        "top_p": 0.9,
        "repetition_penalty": 1.1,
    }


maps = st.builds(
    lambda t0, dt, p0, dp, r: BeliefMap(
        t_min=t0, t_max=t0 + dt, top_p_min=p0, top_p_max=min(1.0, p0 + dp), rep_max=r,
        default_temperature=t0, default_top_p=p0,
    ),
    st.floats(0.0, 2.0), st.floats(0.01, 2.0), st.floats(0.05, 1.0), st.floats(0.0, 1.0),
    st.floats(1.0, 3.0),
)  # fmt: skip
vectors = st.lists(st.floats(-5.0, 5.0, allow_nan=False), min_size=0, max_size=8)


@settings(max_examples=200, deadline=None)
@given(maps, vectors, st.floats(-2.0, 2.0), st.floats(-2.0, 2.0))
def test_params_always_in_range_and_monotone(bm: BeliefMap, b: list, x: float, y: float) -> None:
    p = bm.to_params(b)
    assert bm.t_min <= p.temperature <= bm.t_max
    assert bm.top_p_min <= p.top_p <= bm.top_p_max
    assert 1.0 <= p.repetition_penalty <= bm.rep_max
    lo, hi = min(x, y), max(x, y)
    rest = b[1:]
    assert bm.to_params([lo, *rest]).temperature <= bm.to_params([hi, *rest]).temperature
    # Dims beyond the third never change the parameters.
    if len(b) >= 3:
        assert bm.to_params([*b[:3], 0.5, -0.5]) == bm.to_params(b[:3])

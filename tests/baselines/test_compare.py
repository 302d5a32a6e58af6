"""econ_env_baselines.compare: a learner beside the fixed baselines on the same seeds."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env_baselines.compare import format_comparison, mean_ci, versus_fixed


def test_mean_ci_is_the_normal_interval():
    x = [1.0, 2.0, 3.0, 4.0]
    m, h = mean_ci(x)
    assert m == 2.5 and h == pytest.approx(1.96 * np.std(x, ddof=1) / 2)
    assert mean_ci([5.0]) == (5.0, math.inf)
    for bad in ([], [1.0, float("nan")], [[1.0, 2.0]]):
        with pytest.raises(ValueError, match="non-empty 1-d sequence of finite numbers"):
            mean_ci(bad)


def test_best_fixed_paired_difference_and_win():
    rng = np.random.default_rng(0)
    question = rng.normal(0, 1, 400)  # shared by every policy: the paired difference removes it
    fixed = {"silent": question + 0.5, "always": question, "random": question - 0.3}
    learner = question + 0.6 + rng.normal(0, 0.05, 400)
    r = versus_fixed(learner, fixed)
    assert r["best_fixed"] == "silent"
    d, h = r["paired_difference"]
    assert d == pytest.approx(0.1, abs=0.01) and h < 0.01  # the shared noise cancels
    assert r["fixed"]["silent"][1] > 0.09  # while each policy's own CI stays wide
    assert r["wins"] is False  # +0.1 is inside the unpaired CIs (the docs' criterion)
    assert versus_fixed(question + 2.0, fixed)["wins"] is True
    lines = format_comparison("PPO", r)
    assert lines[0].startswith("  PPO ") and "<- best fixed" in lines[1]
    assert f"PPO - silent (paired, same seeds): {d:+.3f} ± {h:.3f}" in lines[-1]
    assert "not above" in lines[-1]


def test_refuses_unmatched_seeds_and_no_baselines():
    with pytest.raises(ValueError, match=r"fixed\['silent'\] has 2 episodes, the learner 3"):
        versus_fixed([1.0, 2.0, 3.0], {"silent": [1.0, 2.0]})
    with pytest.raises(ValueError, match="at least one fixed policy"):
        versus_fixed([1.0, 2.0], {})


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(*(st.floats(-10, 10, allow_nan=False) for _ in range(3))),
        min_size=2,
        max_size=40,
    )
)
def test_the_best_fixed_has_the_highest_mean_and_the_difference_is_paired(rows):
    arr = np.array(rows)
    r = versus_fixed(arr[:, 0], {"a": arr[:, 1], "b": arr[:, 2]})
    means = {"a": arr[:, 1].mean(), "b": arr[:, 2].mean()}
    assert means[r["best_fixed"]] == max(means.values())
    assert r["paired_difference"][0] == pytest.approx(
        arr[:, 0].mean() - means[r["best_fixed"]], abs=1e-9
    )
    assert all(math.isfinite(v) for pair in r["fixed"].values() for v in pair)

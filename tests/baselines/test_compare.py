"""econ_env_baselines.compare: a learner beside the fixed baselines on the same seeds."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import econ_env
from econ_env.core.rollout import play_episode
from econ_env_baselines.compare import (
    ROW_KEYS,
    episode_rows,
    format_comparison,
    mean_ci,
    row_means,
    versus_fixed,
)


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


def test_episode_rows_play_one_seeded_episode_per_seed_through_the_rollout_loop():
    env = econ_env.make("auction_v1")
    truthful = econ_env.make_policy("truthful", econ_env.env_spec("auction_v1"), 0)
    rows = episode_rows(env, truthful.act, [3, 4, 5])
    assert rows.shape == (3, len(ROW_KEYS))
    for row, seed in zip(rows, [3, 4, 5], strict=True):
        result = play_episode(env, truthful.act, seed=seed)
        info = result.info
        assert list(row) == [
            result.returns["bidder_0"],
            float(info["correct"]),
            info["billed_tokens"],
            info["generated_tokens"],
        ]
    np.testing.assert_array_equal(rows, episode_rows(env, truthful.act, [3, 4, 5]))
    means = row_means(rows)
    assert list(means) == list(ROW_KEYS) and means["billed_tokens"] == rows[:, 2].mean()
    # silent bidders bill nothing, so their team return is their correctness
    silent = econ_env.make_policy("silent", econ_env.env_spec("auction_v1"), 0)
    quiet = episode_rows(env, silent.act, range(10))
    assert (quiet[:, 2] == 0).all() and (quiet[:, 0] == quiet[:, 1]).all()


def test_episode_rows_sum_the_agents_returns_for_the_debate_and_name_a_bad_team():
    env = econ_env.make("debate_v0", embedder="hashed")
    neutral = econ_env.make_policy("neutral", econ_env.env_spec("debate_v0", embedder="hashed"), 0)
    rows = episode_rows(env, neutral.act, [1], team="sum")
    assert rows[0, 0] == pytest.approx(sum(play_episode(env, neutral.act, seed=1).returns.values()))
    with pytest.raises(ValueError, match="team must be one of"):
        episode_rows(env, neutral.act, [1], team="mean")
    assert episode_rows(env, neutral.act, []).shape == (0, len(ROW_KEYS))

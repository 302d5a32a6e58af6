"""econ_env_baselines.self_consistency: the matched k, the frontier, playing only the k needed
(with a fake ``play`` and with the real batched env) and the printed comparison."""

import pytest
import torch

from econ_env_baselines.self_consistency import (
    at_matched_tokens,
    describe,
    interpolate,
    matched,
)


def _point(tokens: float, acc: float) -> dict:
    return {"generated_tokens": tokens, "accuracy": acc, "team_return": acc}


POINTS = {1: _point(600, 0.6), 2: _point(1200, 0.8), 3: _point(1800, 0.85)}


def test_matched_and_interpolate():
    assert matched(POINTS, 1500) == (2, 3)
    assert matched(POINTS, 1200) == (2, 3)  # at exactly k's tokens: that k
    assert matched(POINTS, 500) == (1, 2)  # below every k: the smallest
    assert matched(POINTS, 5000) == (3, None)
    assert interpolate(POINTS, 1500) == pytest.approx(0.825)
    assert interpolate(POINTS, 500) is None and interpolate(POINTS, 5000) is None
    with pytest.raises(ValueError, match="sc is empty"):
        matched({}, 100)


def test_at_matched_tokens_plays_only_the_k_it_needs():
    played = []

    def play(k):
        played.append(k)
        return _point(600 * k, 0.5)

    sc = at_matched_tokens(play, 1500)
    assert played == [1, 2, 3] and set(sc) == {1, 2, 3}  # k=3 is the first above 1,500
    played.clear()
    assert set(at_matched_tokens(play, 10**9, max_k=4)) == {1, 2, 3, 4}
    for bad in (0, 65, True, 2.0):
        with pytest.raises(ValueError, match=r"max_k.*\[1, 64\]"):
            at_matched_tokens(play, 100, max_k=bad)


def test_describe_says_which_side_the_learner_is_on():
    line = describe(POINTS, {"team_return": 0.7, "accuracy": 0.9, "generated_tokens": 1500}, "α")
    assert "k=2 return 0.800 @ 1,200; k=3 return 0.850 @ 1,800 (spends more)." in line
    assert "α: return 0.700 (not above k=2)" in line and "0.825 at the same tokens (above)" in line
    line = describe(POINTS, {"team_return": 0.81, "accuracy": 0.8, "generated_tokens": 1500})
    assert "(above k=2, not k=3)" in line and "not above" not in line and "(on or below)" in line
    line = describe(POINTS, {"team_return": 0.86, "accuracy": 0.9, "generated_tokens": 1500})
    assert "(above k=2 and above k=3)" in line  # even the next k, which spends more tokens
    line = describe(POINTS, {"team_return": 0.9, "accuracy": 0.9, "generated_tokens": 9000})
    assert "k=3 return 0.850 @ 1,800." in line and "same tokens" not in line  # past every k


def test_on_the_batched_env_more_samples_generate_more_and_answer_better():
    import econ_env.vector as V
    from econ_env.regimes import regime_config
    from econ_env_baselines.vector import BatchedBidders, evaluate

    torch.set_num_threads(1)
    config = regime_config("auction_v0", "one_expert")

    def play(k):
        env = V.make("auction_v0", num_envs=2048, seed=7, **{**config, "draft_samples": k})
        return evaluate(env, BatchedBidders(env, 7).fixed("silent"), 7)

    one = play(1)
    sc = at_matched_tokens(play, 2.5 * one["generated_tokens"])
    assert set(sc) == {1, 2, 3}
    tokens = [sc[k]["generated_tokens"] for k in (1, 2, 3)]
    assert tokens[0] < tokens[1] < tokens[2]
    assert sc[3]["accuracy"] > sc[1]["accuracy"] + 0.1  # one expert, two scattered novices
    assert all(sc[k]["billed_tokens"] == 0 for k in sc)
    assert all(sc[k]["team_return"] == pytest.approx(sc[k]["accuracy"]) for k in sc)

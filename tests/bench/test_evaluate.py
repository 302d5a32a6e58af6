"""evaluate() aggregates seeded episodes correctly."""

import pytest

import econ_env
from econ_env.bench.evaluate import evaluate, format_table, wilson_interval
from econ_env_baselines import make_policy


def test_evaluate_is_seeded_and_consistent():
    def env_fn():
        return econ_env.auction_v0.env()

    def pol(e, s):
        return make_policy("truthful", e, s)

    a = evaluate(env_fn, pol, name="t", episodes=15, seed=3, progress=False)
    b = evaluate(env_fn, pol, name="t", episodes=15, seed=3, progress=False)
    assert a == b
    assert 0 <= a.accuracy_low <= a.accuracy <= a.accuracy_high <= 1
    assert a.billed_tokens <= a.generated_tokens
    assert a.mean_return == pytest.approx(a.accuracy - a.billed_tokens / 2048)
    assert "truthful" not in format_table([a]) and "t " in format_table([a])


def test_wilson_interval():
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-3) and high == pytest.approx(0.5962, abs=1e-3)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    with pytest.raises(ValueError):
        evaluate(econ_env.auction_v0.env, lambda e, s: None, name="x", episodes=0)

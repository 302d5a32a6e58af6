"""evaluate() aggregates seeded episodes correctly and builds the policy from the env's spec."""

import pytest

import econ_env
from econ_env.bench.evaluate import evaluate, format_table, wilson_interval


def test_evaluate_is_seeded_and_consistent():
    def env_fn():
        return econ_env.make("auction_v0")

    def pol(spec, s):
        return econ_env.make_policy("truthful", spec, s)

    a = evaluate(env_fn, pol, name="t", episodes=15, seed=3, progress=False)
    b = evaluate(env_fn, pol, name="t", episodes=15, seed=3, progress=False)
    assert a == b
    assert 0 <= a.accuracy_low <= a.accuracy <= a.accuracy_high <= 1
    assert a.billed_tokens <= a.generated_tokens
    assert a.mean_return == pytest.approx(a.accuracy - a.billed_tokens / 2048)
    assert "truthful" not in format_table([a]) and "t " in format_table([a])


def test_the_policy_fn_gets_the_env_spec_and_the_seed():
    seen = []

    def pol(spec, seed):
        seen.append((spec, seed))
        return econ_env.make_policy("silent", spec, seed)

    env_fn = lambda: econ_env.make("auction_v0", n_agents=2)  # noqa: E731
    evaluate(env_fn, pol, name="s", episodes=2, seed=7, progress=False)
    [(spec, seed)] = seen
    assert isinstance(spec, econ_env.EnvSpec) and seed == 7
    assert spec == econ_env.env_spec("auction_v0", n_agents=2)


def test_wilson_interval():
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-3) and high == pytest.approx(0.5962, abs=1e-3)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    with pytest.raises(ValueError):
        evaluate(econ_env.auction_v0.env, lambda spec, s: None, name="x", episodes=0)

"""Named regimes (econ_env/regimes.py): every one builds in the text env and its batched twin."""

import pytest

import econ_env
from econ_env.regimes import REGIMES, list_regimes, regime_config


@pytest.mark.parametrize(("env", "name"), [(env, name) for env in REGIMES for name in REGIMES[env]])
def test_every_regime_builds_and_plays(env, name):
    config = regime_config(env, name)
    par = econ_env.make_parallel(env, **config)
    obs, _ = par.reset(seed=0)
    assert all(par.observation_space(a).contains(o) for a, o in obs.items())
    vec = econ_env.make_vector(env, num_envs=4, seed=0, **config)
    vobs, _ = vec.reset(seed=0)
    assert vobs.shape[-1] == par.observation_space(par.agents[0]).shape[0]


def test_regime_config_is_a_fresh_copy_with_overrides():
    a = regime_config("auction_v0", "tiered", budget=512)
    assert a["budget"] == 512 and a["team"] == "one_expert"
    a["team"] = "x"
    assert regime_config("auction_v0", "tiered")["team"] == "one_expert"
    with pytest.raises(ValueError, match="unknown regime 'loud' of auction_v0"):
        regime_config("auction_v0", "loud")
    with pytest.raises(ValueError, match="no regimes for env"):
        list_regimes("chess_v0")

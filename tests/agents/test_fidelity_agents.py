"""The study's trained agents load as policies and play the study's configs."""

from __future__ import annotations

import numpy as np
import pytest

import econ_env
from econ_env import make_policy
from econ_env.core.rollout import play_episode
from econ_env.fidelity import StudyConfig


def _config(game: str) -> dict:
    study = StudyConfig()
    return {
        **study.env_kwargs[game],
        "task": study.task,
        "task_kwargs": dict(study.task_kwargs),
    }


@pytest.mark.parametrize(
    ("game", "name"),
    [
        ("auction_v0", "econ_env_agents.fidelity:alpha"),
        ("debate_v0", "econ_env_agents.fidelity:econ"),
    ],
)
def test_trained_agents_play_the_study_config(game: str, name: str) -> None:
    config = _config(game)
    spec = econ_env.env_spec(game, **config)
    policy = make_policy(name, spec, seed=0)
    env = econ_env.make(game, **config)
    results = [play_episode(env, policy.act, seed=s) for s in range(3)]
    for r in results:
        assert r.actions > 0
        assert np.isfinite(list(r.returns.values())).all()
        assert r.info["billed_tokens"] <= r.info["generated_tokens"]


def test_trained_agents_refuse_another_game() -> None:
    spec = econ_env.env_spec("debate_v0", **_config("debate_v0"))
    with pytest.raises(ValueError, match="auction_v0"):
        make_policy("econ_env_agents.fidelity:alpha", spec)
    spec = econ_env.env_spec("auction_v0", **_config("auction_v0"))
    with pytest.raises(ValueError, match="debate_v0"):
        make_policy("econ_env_agents.fidelity:econ", spec)

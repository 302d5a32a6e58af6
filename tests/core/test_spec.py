"""EnvSpec: the public description policies are built from."""

import json

import numpy as np
import pytest
from gymnasium import spaces

import econ_env
from econ_env.core.spec import EnvSpec, public_config, space_from_dict, space_to_dict


@pytest.mark.parametrize(
    ("name", "config"),
    [
        ("auction_v0", {}),
        ("auction_v0", {"action_type": "discrete", "n_agents": 4, "task": "gsm8k"}),
        ("debate_v0", {"groups": 2, "n_agents": 4, "embedder": "hashed"}),
    ],
)
def test_spec_equals_the_built_envs_spaces_and_round_trips_as_json(name, config):
    spec = econ_env.env_spec(name, **config)
    env = econ_env.make(name, **config)
    assert env.unwrapped.env_spec == spec
    agent = env.possible_agents[0]
    assert spec.agents == tuple(env.possible_agents)
    assert spec.observation_space == env.observation_space(agent)
    assert spec.action_space == env.action_space(agent)
    assert spec.state_space == env.unwrapped.state_space
    assert spec.layout.size == env.unwrapped.layout.size
    again = EnvSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec


def test_the_spec_holds_no_secret_config():
    spec = econ_env.env_spec(
        "auction_v0",
        task="arithmetic",
        task_kwargs={"seed": 123},
        backend="simulated",
        backend_kwargs={"skill": 3.0},
    )
    for secret in ("task_kwargs", "backend", "backend_kwargs", "render_mode"):
        assert secret not in spec.config
    text = json.dumps(spec.to_dict())
    assert "123" not in text and "skill" not in text
    assert spec.config["budget"] == 2048 and spec.config["reward"] == {
        "name": "team",
        "cost_weight": 1.0,
    }


def test_spec_of_an_invalid_config_raises_like_the_env():
    with pytest.raises(ValueError, match="budget"):
        econ_env.env_spec("auction_v0", budget=0)
    with pytest.raises(ValueError, match="unknown environment 'chess_v0'"):
        econ_env.env_spec("chess_v0")


def test_public_config_marks_objects_it_cannot_describe():
    from econ_env.envs.auction.config import make_config
    from econ_env.tasks.registry import make_task

    cfg = make_config(task=make_task("arithmetic"))
    assert public_config(cfg)["task"] == "<object>"


def test_spaces_round_trip_and_bad_ones_are_refused():
    for space in (
        spaces.Box(-1.0, 1.0, (3,), np.float32),
        spaces.Discrete(5, start=1),
        spaces.Dict({"observation": spaces.Box(0, 1, (2,), np.float32), "m": spaces.Discrete(2)}),
    ):
        assert space_from_dict(json.loads(json.dumps(space_to_dict(space)))) == space
    with pytest.raises(ValueError, match="unknown space type"):
        space_from_dict({"type": "Tuple"})
    with pytest.raises(ValueError, match="malformed Box"):
        space_from_dict({"type": "Box", "low": [0], "high": [1], "shape": [1], "dtype": "str"})
    with pytest.raises(ValueError, match="exactly the keys"):
        EnvSpec.from_dict({"env": "auction_v0"})


def test_agent_index_and_vector():
    spec = econ_env.env_spec("auction_v0", action_type="discrete")
    assert spec.agent_index("bidder_2") == 2 and spec.discrete
    with pytest.raises(ValueError, match="bidder_7"):
        spec.agent_index("bidder_7")
    vec = np.zeros(spec.layout.size, np.float32)
    assert spec.vector({"observation": vec, "action_mask": np.ones(5)}) is vec

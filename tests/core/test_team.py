"""Tests of heterogeneous-team profiles (econ_env.core.team): presets, validation, JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from econ_env.core.team import (
    TEAM_KEYS,
    TEAM_PRESETS,
    AgentProfile,
    normalise_team,
    public_team,
    resolve_team,
)


@pytest.mark.parametrize("n", range(1, 9))
def test_presets_resolve_for_every_team_size_with_the_documented_skills(n):
    expert = resolve_team("one_expert", n)
    assert len(expert) == n
    assert expert[-1].skill == 2.5
    assert [p.skill for p in expert[:-1]] == [-1.0] * (n - 1)
    assert [p.skill for p in resolve_team("uniform", n)] == [0.4] * n
    spread = [p.skill for p in resolve_team("spread", n)]
    assert len(spread) == n and spread[-1] == pytest.approx(2.5)
    if n == 1:
        assert spread == [2.5]
    else:
        assert spread[0] == -1.0
        np.testing.assert_allclose(np.diff(spread), 3.5 / (n - 1))
    for name in TEAM_PRESETS:  # presets set skills only
        assert all(p.model is None and p.system_prompt is None for p in resolve_team(name, n))


def test_none_is_no_team_and_entries_become_profiles():
    assert resolve_team(None, 3) is None
    team = resolve_team(
        [{"skill": 1}, {"model": "simulated:3"}, AgentProfile(system_prompt="Be terse.")], 3
    )
    assert team == (
        AgentProfile(skill=1.0),
        AgentProfile(model="simulated:3"),
        AgentProfile(system_prompt="Be terse."),
    )
    assert isinstance(team[0].skill, float)
    assert resolve_team([{"skill": np.float32(0.5)}], 1)[0].skill == 0.5


@pytest.mark.parametrize(
    ("team", "fragment"),
    [
        ("nobody", "presets"),
        ({"skill": 1.0}, "preset name"),
        (3, "preset name"),
        ([{}, {}], "n_agents=3"),
        ([{}, {}, {}, {}], "n_agents=3"),
        ([{}, {"skil": 1.0}, {}], "team[1] has unknown key(s) ['skil']"),
        ([{}, {}, {"skill": math.nan}], "team[2].skill"),
        ([{"skill": math.inf}, {}, {}], "team[0].skill"),
        ([{"skill": "2"}, {}, {}], "team[0].skill"),
        ([{"skill": True}, {}, {}], "team[0].skill"),
        ([{"model": ""}, {}, {}], "team[0].model"),
        ([{"model": 3}, {}, {}], "team[0].model"),
        ([{}, {"system_prompt": 1.0}, {}], "team[1].system_prompt"),
        ([{}, "expert", {}], "team[1] must be a mapping"),
    ],
)
def test_bad_teams_raise_naming_team(team, fragment):
    with pytest.raises(ValueError, match="team") as err:
        resolve_team(team, 3)
    assert fragment in str(err.value)


def test_n_agents_must_be_positive():
    with pytest.raises(ValueError, match="n_agents"):
        resolve_team("uniform", 0)


entries = st.fixed_dictionaries(
    {},
    optional={
        "skill": st.floats(-10, 10, allow_nan=False),
        "model": st.sampled_from(["simulated:1", "hf:smollm2", "openai:http://x/v1"]),
        "system_prompt": st.text(min_size=1).filter(str.strip),
    },
)


@given(st.one_of(st.sampled_from(sorted(TEAM_PRESETS)), st.lists(entries, min_size=1, max_size=8)))
def test_teams_round_trip_through_json(team):
    n = len(team) if isinstance(team, list) else 4
    norm = normalise_team(team, n)
    back = json.loads(json.dumps(norm))
    assert normalise_team(back, n) == normalise_team(norm, n)
    assert resolve_team(back, n) == resolve_team(team, n)
    if not isinstance(team, str):
        assert all(set(e) <= set(TEAM_KEYS) for e in norm)
        # the public view keeps everything but the models
        pub = public_team(norm)
        assert [{k: v for k, v in e.items() if k != "model"} for e in norm] == pub
        json.dumps(pub)
    else:
        assert public_team(norm) == team

"""Named observation layouts: offsets, by-name writing that refuses drift, the documented
tables, and the games' observation modules printing the same table their writers use."""

import importlib
import inspect

import numpy as np
import pytest

from econ_env.core.layout import FieldSpec, Layout, layout_table
from econ_env.envs.auction.observation import FIELDS as AUCTION_FIELDS
from econ_env.envs.auction.observation import ObsLayout
from econ_env.envs.debate.observation import FIELDS as DEBATE_FIELDS
from econ_env.envs.debate.observation import DebateObsLayout

SPECS = (FieldSpec("a", 1, "first"), FieldSpec("b", "n", "n entries"), FieldSpec("c", 2, "two"))


def test_build_resolves_sizes_and_offsets():
    lay = Layout.build(SPECS, {"n": 3})
    assert lay.size == 6 and lay.names == ("a", "b", "c")
    assert lay.index("a") == 0 and lay.slice("b") == slice(1, 4) and lay.slice("c") == slice(4, 6)
    with pytest.raises(ValueError, match="size 'm'"):
        Layout.build((FieldSpec("x", "m", ""),), {"n": 1})


def test_lookups_name_the_allowed_fields():
    lay = Layout.build(SPECS, {"n": 3})
    with pytest.raises(ValueError, match=r"unknown observation field 'z'.*'a', 'b', 'c'"):
        lay.slice("z")
    with pytest.raises(ValueError, match="has 3 entries"):
        lay.index("b")
    vec = np.arange(6, dtype=np.float32)
    assert lay.field(vec, "a") == 0.0 and lay.field(vec, "c").tolist() == [4.0, 5.0]


def test_assemble_writes_every_field_by_name_and_refuses_drift():
    lay = Layout.build(SPECS, {"n": 2})
    rows = lay.assemble({"a": [1.0, 2.0], "b": np.eye(2), "c": [7.0, 8.0]}, 2)
    assert rows.dtype == np.float32
    assert rows.tolist() == [[1, 1, 0, 7, 8], [2, 0, 1, 7, 8]]
    with pytest.raises(ValueError, match=r"missing: \['c'\]"):
        lay.assemble({"a": 0.0, "b": 0.0}, 2)
    with pytest.raises(ValueError, match=r"unknown: \['d'\]"):
        lay.assemble({"a": 0.0, "b": 0.0, "c": 0.0, "d": 1.0}, 2)


def test_layouts_reject_bad_fields_and_round_trip_as_data():
    with pytest.raises(ValueError, match="unique"):
        Layout([("a", 1, ""), ("a", 1, "")])
    with pytest.raises(ValueError, match="size must be an int"):
        Layout([("a", -1, "")])
    lay = ObsLayout(4)
    again = Layout.from_dict(lay.to_dict())
    assert again == lay and again.slice("agent_id") == lay.agent_id
    with pytest.raises(ValueError):
        Layout.from_dict({"fields": [["a", 1]]})


def test_game_layouts_match_their_historical_offsets():
    a = ObsLayout(3)
    assert a.size == 10 + 2 * 3 + 8 and a.index("prev_bid") == 9
    assert a.last_speakers == slice(10, 13) and a.agent_id == slice(13, 16)
    d = DebateObsLayout(3, 4)
    assert d.size == 14 + 4 + 3 + 8 and d.index("commitment_changed") == 13
    assert d.slice("strategy_features") == slice(4, 8) and d.previous_belief == slice(14, 18)


@pytest.mark.parametrize(
    ("module", "fields"),
    [
        ("econ_env.envs.auction.observation", AUCTION_FIELDS),
        ("econ_env.envs.debate.observation", DEBATE_FIELDS),
    ],
)
def test_the_documented_table_is_the_table_the_writer_uses(module, fields):
    doc = inspect.getdoc(importlib.import_module(module))
    assert layout_table(fields) in doc


def test_the_env_pages_print_the_observation_table():
    from econ_env.docs import render_env_page

    page = render_env_page("auction_v0")
    assert layout_table(AUCTION_FIELDS) in page
    assert page.index(layout_table(AUCTION_FIELDS)) < page.index("### State")

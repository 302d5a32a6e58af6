"""Tests for econ_env.core.transcript: messages with per-agent visibility."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.core.transcript import Message, Transcript

AGENTS = ("a0", "a1", "a2", "a3")


def test_public_and_private_visibility() -> None:
    tr = Transcript()
    m0 = tr.add(0, "a0", "draft", "my draft", visible_to=())
    m1 = tr.add(0, "a1", "broadcast", "hello all", tokens=3, answer="4")
    m2 = tr.add(1, "a2", "note", "for a0", visible_to={"a0"})
    assert tr.view("a0") == (m0, m1, m2)
    assert tr.view("a1") == (m1,)
    assert tr.view("a2") == (m1, m2)
    assert tr.view("never_seen") == (m1,)
    assert tr.public() == (m1,)
    assert tr.messages == (m0, m1, m2) and len(tr) == 3
    assert m1.public and not m0.public
    assert m2.visible_for("a0") and m2.visible_for("a2") and not m2.visible_for("a1")
    assert m0.visible_to == frozenset()


def test_since_returns_later_visible_messages() -> None:
    tr = Transcript()
    for i in range(6):
        tr.add(i, AGENTS[i % 2], "x", f"t{i}", visible_to=None if i % 3 else ("a2",))
    assert [m.index for m in tr.since(-1, "a1")] == [m.index for m in tr.view("a1")]
    # a1 sees its own private message 3; a0 does not.
    assert [m.index for m in tr.since(2, "a1")] == [3, 4, 5]
    assert [m.index for m in tr.since(2, "a0")] == [4, 5]
    assert [m.index for m in tr.since(2, "a2")] == [3, 4, 5]
    assert tr.since(5, "a0") == ()


def test_view_cache_sees_new_messages() -> None:
    tr = Transcript()
    tr.add(0, "a0", "x", "p")
    first = tr.view("a1")
    tr.add(0, "a0", "x", "q")
    assert len(tr.view("a1")) == len(first) + 1
    tr.add(0, "a0", "x", "r", visible_to=("a1",))
    assert [m.text for m in tr.view("a1")] == ["p", "q", "r"]
    assert [m.text for m in tr.view("a2")] == ["p", "q"]


def test_to_records_and_clear() -> None:
    tr = Transcript()
    tr.add(0, "a0", "draft", "d", visible_to=("a2", "a1"), tokens=2)
    tr.add(1, "a1", "broadcast", "b", answer="7")
    recs = json.loads(json.dumps(tr.to_records()))
    assert recs[0]["visible_to"] == ["a1", "a2"] and recs[0]["tokens"] == 2
    assert recs[1]["visible_to"] is None and recs[1]["answer"] == "7"
    tr.clear()
    assert tr.messages == () and tr.view("a0") == () and tr.public() == ()
    assert tr.add(0, "a0", "x", "y").index == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"round": -1}, "round"),
        ({"tokens": -2}, "tokens"),
        ({"speaker": ""}, "speaker"),
        ({"text": None}, "text"),
        ({"visible_to": "a1"}, "visible_to"),
        ({"answer": 3}, "answer"),
    ],
)
def test_invalid_messages_raise(kwargs: dict, field: str) -> None:
    tr = Transcript()
    args = {"round": 0, "speaker": "a0", "role": "draft", "text": "t"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=field):
        tr.add(**args)
    assert len(tr) == 0
    with pytest.raises(ValueError, match="visible_to"):
        Message(0, 0, "a0", "r", "t", visible_to={"a1"})  # type: ignore[arg-type]


adds = st.lists(
    st.tuples(
        st.sampled_from(AGENTS),
        st.one_of(st.none(), st.frozensets(st.sampled_from(AGENTS), max_size=3)),
        st.booleans(),  # query a view right after this add (exercises the cache)
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(adds)
def test_views_match_brute_force(seq: list) -> None:
    tr = Transcript()
    for k, (speaker, vis, query) in enumerate(seq):
        role = "draft" if vis is not None else "broadcast"
        tr.add(k // 4, speaker, role, f"m{k}", visible_to=vis)
        if query:
            tr.view(AGENTS[k % len(AGENTS)])
    msgs = tr.messages
    assert [m.index for m in msgs] == list(range(len(seq)))
    for agent in AGENTS:
        view = tr.view(agent)
        expected = tuple(
            m for m in msgs if m.visible_to is None or m.speaker == agent or agent in m.visible_to
        )
        assert view == expected  # order preserved
        # Private messages never leak to agents outside speaker + visible_to.
        for m in view:
            if m.visible_to is not None:
                assert agent == m.speaker or agent in m.visible_to
        # Every public message appears to every agent.
        assert set(tr.public()) <= set(view)
        cut = len(seq) // 2
        assert tr.since(cut, agent) == tuple(m for m in expected if m.index > cut)

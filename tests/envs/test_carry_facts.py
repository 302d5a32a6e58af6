"""``carry_facts``: a broadcast (auction) or a commitment (debate) carries its writer's facts
into the prompts of those who read it, so a real model reads the facts the knowledge model says
it learned (:func:`~econ_env.tasks.split_facts.known_question`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env import auction_v0, auction_v1, debate_v0, debate_v1
from econ_env.core.ledger import Role
from econ_env.llm.base import GenRequest
from econ_env.tasks.base import TaskItem
from econ_env.tasks.split_facts import (
    SplitFactsSource,
    item_facts,
    known_question,
    share_indices,
    share_question,
)


def listed_facts(req: GenRequest, item) -> set[int]:
    """Indices of the item's facts that the request's first user message lists."""
    user = next(m["content"] for m in req.messages if m["role"] == "user")
    return {j for j, f in enumerate(item_facts(item)) if f in user}


# ----------------------------------------------------------------------------- the text
@settings(max_examples=60, deadline=None)
@given(
    n_facts=st.integers(2, 8),
    idx=st.integers(0, 10_000),
    known=st.sets(st.integers(0, 7)),
    n_agents=st.integers(1, 5),
)
def test_known_question_lists_the_known_facts_in_order(n_facts, idx, known, n_agents) -> None:
    item = SplitFactsSource(n_facts=n_facts).make(idx)
    facts = item_facts(item)
    known = {j for j in known if j < n_facts}
    text = known_question(item, known)
    assert text.startswith(item.question)
    assert [f for f in facts if f in text] == [facts[j] for j in sorted(known)]
    if not known:
        assert text.endswith("Facts you know: none.")
    for i in range(n_agents):  # the share is the special case the draft prompts use
        share = share_indices(n_facts, i, n_agents)
        assert known_question(item, share) == share_question(item, i, n_agents)


def test_known_question_rejects_indices_outside_the_item() -> None:
    item = SplitFactsSource(n_facts=3).make(0)
    with pytest.raises(ValueError, match=r"known fact indices must be in \[0, 2\], got \[3\]"):
        known_question(item, {0, 3})
    plain = TaskItem(id="x", question="q?", gold="1", kind="numeric")
    assert known_question(plain, {5}) == "q?"


@pytest.mark.parametrize("module", [auction_v0, auction_v1, debate_v0, debate_v1])
def test_off_by_default_and_a_bool(module) -> None:
    env = module.parallel_env(task="split_facts")
    assert env.game.config.carry_facts is False
    with pytest.raises(ValueError, match=r"carry_facts.*True or False"):
        module.parallel_env(task="split_facts", carry_facts=1)


# ----------------------------------------------------------------------------- auction
def _auction(backend, **kw):
    return auction_v0.parallel_env(
        task="split_facts", backend=backend, budget=100_000, max_rounds=3, carry_facts=True,
        stop_on_consensus=False, **kw,
    )  # fmt: skip


def _speak(env, who: int):
    return {a: np.array([1.0 if i == who else -1.0], np.float32) for i, a in enumerate(env.agents)}


def test_auction_revisions_list_every_fact_heard_so_far(recorder) -> None:
    backend = recorder(seed=0)
    env = _auction(backend)
    env.reset(seed=1)
    item = env.game.item
    drafts = list(backend.requests)
    assert [listed_facts(r, item) for r in drafts] == [{0}, {1}, {2}]  # drafts: the share
    # bidder_1 then carries what it knew at its broadcast: its share and bidder_0's fact
    for who, want in ((0, [{0, 1}, {0, 2}]), (1, [{0, 1}, {0, 1, 2}])):
        backend.requests.clear()
        env.step(_speak(env, who))
        revisions = [r for r in backend.requests if r.hints.role is Role.REVISE]
        assert [r.hints.agent_index for r in revisions] == [i for i in range(3) if i != who]
        assert [listed_facts(r, item) for r in revisions] == want
        for r, k in zip(revisions, want, strict=True):  # what the simulator is told agrees
            assert r.hints.facts_known == pytest.approx(len(k) / 3)


def test_auction_off_keeps_the_share_and_keywords_carry_nothing(recorder) -> None:
    backend = recorder(seed=0)
    off = auction_v0.parallel_env(
        task="split_facts", backend=backend, budget=100_000, max_rounds=3, stop_on_consensus=False
    )
    off.reset(seed=1)
    item = off.game.item
    backend.requests.clear()
    off.step(_speak(off, 0))
    revisions = [r for r in backend.requests if r.hints.role is Role.REVISE]
    assert [listed_facts(r, item) for r in revisions] == [{1}, {2}]
    # with tiers, a keywords broadcast carries no facts, a summary does
    tiered = _auction(backend, tiers=("full", "summary", "keywords"), action_type="discrete")
    tiered.reset(seed=1)
    item = tiered.game.item
    levels = tiered.game.config.bid_levels
    for tier, want in ((2, [{1}, {2}]), (1, [{0, 1}, {0, 2}])):
        tiered.reset(seed=1)
        backend.requests.clear()
        # discrete action 1 + tier * (levels - 1) + k: bid level k+1 on tier ``tier``
        action = 1 + tier * (levels - 1) + (levels - 2)
        tiered.step({a: (action if i == 0 else 0) for i, a in enumerate(tiered.agents)})
        assert tiered.game.last_winners == (0,)
        revisions = [r for r in backend.requests if r.hints.role is Role.REVISE]
        assert [listed_facts(r, item) for r in revisions] == want, tier


def test_auction_carry_changes_only_prompt_tokens_in_the_simulator(recorder) -> None:
    """The simulated model reads hints, not text: with and without carry the same seed plays
    the same episode, and a carried revision prompt is longer by the facts it lists."""
    runs = {}
    for carry in (False, True):
        backend = recorder(seed=0)
        env = auction_v0.parallel_env(
            task="split_facts", backend=backend, budget=100_000, max_rounds=3,
            stop_on_consensus=False, carry_facts=carry,
        )  # fmt: skip
        env.reset(seed=4)
        env.step(_speak(env, 2))
        runs[carry] = (env.game.item, backend.requests, env.game.ledger)
    item, off, on = runs[False][0], runs[False][1], runs[True][1]
    assert [r.hints for r in off] == [r.hints for r in on]
    outs_off = [e.completion_tokens for e in runs[False][2].entries]
    outs_on = [e.completion_tokens for e in runs[True][2].entries]
    assert outs_off == outs_on
    for a, b in zip(off, on, strict=True):
        extra = len(known_question(item, listed_facts(b, item))) - len(
            known_question(item, listed_facts(a, item))
        )
        assert (
            sum(len(m["content"]) for m in b.messages) - sum(len(m["content"]) for m in a.messages)
            == extra
        )
        assert (extra > 0) == (a.hints.role is Role.REVISE)


# ----------------------------------------------------------------------------- debate
def test_debate_prompts_list_the_facts_their_writer_read(recorder) -> None:
    backend = recorder(seed=0)
    env = debate_v0.parallel_env(
        task="split_facts", backend=backend, early_stop=False, max_rounds=2, budget=100_000,
        carry_facts=True,
    )  # fmt: skip
    env.reset(seed=2)
    item = env.game.item
    zero = {a: np.zeros(env.action_space(a).shape, np.float32) for a in env.agents}
    rounds = []
    for _ in range(2):
        backend.requests.clear()
        env.step(zero)
        rounds.append(list(backend.requests))
    ex = [[r for r in reqs if r.hints.role is Role.ANSWER] for reqs in rounds]
    commits = [[r for r in reqs if r.hints.role is Role.COMMITMENT] for reqs in rounds]
    assert [listed_facts(r, item) for r in ex[0]] == [{0}, {1}, {2}]
    assert [listed_facts(r, item) for r in ex[1]] == [{0, 1, 2}] * 3  # the commitment's facts
    assert listed_facts(commits[0][0], item) == {0, 1, 2}


def test_debate_local_coordinators_list_their_groups_facts(recorder) -> None:
    backend = recorder(seed=0)
    env = debate_v0.parallel_env(
        task="split_facts", task_kwargs={"n_facts": 4}, n_agents=4, groups=2, backend=backend,
        early_stop=False, budget=100_000, carry_facts=True,
    )  # fmt: skip
    env.reset(seed=0)
    item = env.game.item
    members = [[i for i in range(4) if env.game.group[i] == g] for g in range(2)]
    backend.requests.clear()
    env.step({a: np.zeros(env.action_space(a).shape, np.float32) for a in env.agents})
    commits = [r for r in backend.requests if r.hints.role is Role.COMMITMENT]
    want = [set().union(*(share_indices(4, i, 4) for i in m)) for m in members]
    assert [listed_facts(r, item) for r in commits] == [*want, {0, 1, 2, 3}]

"""The ``split_facts`` task source: seedable items whose answer needs every fact, and shares."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.tasks import list_tasks, make_task
from econ_env.tasks.answers import check_answer
from econ_env.tasks.base import TaskItem
from econ_env.tasks.split_facts import (
    SplitFactsSource,
    facts_of,
    item_facts,
    share_question,
    task_has_facts,
)

_COUNT_RE = re.compile(r"(\d+) (\w+) (?:box|boxes|basket|baskets|jar|jars|crate|crates|bag|bags)\b")
_FACT_RE = re.compile(r"Each (\w+) \w+ holds (\d+) \w+\.")


def solve(question: str, facts: tuple[str, ...]) -> int:
    """Answer from the text alone: the question's counts times the facts' numbers (KeyError
    when a color of the question has no fact)."""
    values = {color: int(v) for color, v in (_FACT_RE.fullmatch(f).groups() for f in facts)}
    counts = [(int(k), color) for k, color in _COUNT_RE.findall(question)]
    assert counts, question
    return sum(k * values[color] for k, color in counts)


def items(n: int = 40, **kwargs: object) -> list[TaskItem]:
    source = make_task("split_facts", **kwargs)
    rng = np.random.default_rng(0)
    return [source.sample(rng) for _ in range(n)]


def test_registered_and_flagged() -> None:
    assert "split_facts" in list_tasks()
    source = make_task("split_facts")
    assert isinstance(source, SplitFactsSource)
    assert source.ids() is None
    assert task_has_facts("split_facts") and task_has_facts(source)
    assert not task_has_facts("arithmetic") and not task_has_facts(make_task("gsm8k"))


def test_seedable_and_reproducible() -> None:
    a = [it.id for it in items(20)]
    b = [it.id for it in items(20)]
    assert a == b
    assert len(set(a)) == len(a)
    other = [it.id for it in items(20, seed=1)]
    assert not set(a) & set(other)
    source = make_task("split_facts", n_facts=5, seed=3)
    item = source.sample(np.random.default_rng(7))
    assert source.get(item.id) == item
    assert make_task("split_facts", n_facts=5, seed=3).get(item.id) == item
    with pytest.raises(KeyError):
        make_task("split_facts", n_facts=4, seed=3).get(item.id)


@pytest.mark.parametrize("n_facts", [2, 3, 5, 8])
def test_items_need_every_fact(n_facts: int) -> None:
    for item in items(25, n_facts=n_facts):
        facts = item_facts(item)
        assert len(facts) == n_facts
        assert item.kind == "numeric"
        assert 0.0 <= item.meta["difficulty"] <= 1.0
        for f in facts:  # the question does not state the facts' numbers
            assert f not in item.question
        gold = solve(item.question, facts)
        assert str(gold) == item.gold and check_answer(item.gold, item.gold, item.kind)
        for j, fact in enumerate(facts):
            number = _FACT_RE.fullmatch(fact).group(2)
            changed = fact.replace(f" {number} ", f" {int(number) + 3} ")
            assert solve(item.question, (*facts[:j], changed, *facts[j + 1 :])) != gold
            with pytest.raises(KeyError):  # without fact j the question cannot be answered
                solve(item.question, facts[:j] + facts[j + 1 :])


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8), st.integers(1, 12), st.integers(0, 10**6))
def test_shares_partition_the_facts(n_facts: int, n_agents: int, idx: int) -> None:
    item = SplitFactsSource(n_facts=n_facts).make(idx)
    facts = item_facts(item)
    shares = [facts_of(item, i, n_agents) for i in range(n_agents)]
    assert sorted(f for s in shares for f in s) == sorted(facts)
    assert sum(len(s) for s in shares) == len(facts)
    for i, share in enumerate(shares):
        assert share == tuple(f for j, f in enumerate(facts) if j % n_agents == i)


def test_share_question_shows_only_the_share() -> None:
    item = SplitFactsSource(n_facts=3).make(11)
    facts = item_facts(item)
    text = share_question(item, 1, 2)
    assert text == item.question + "\n\nFacts you know:\n- " + facts[1]
    assert facts[0] not in text and facts[2] not in text
    assert share_question(item, 4, 5) == item.question + "\n\nFacts you know: none."
    plain = TaskItem("x", "What is 2+2?", "4", "numeric")
    assert share_question(plain, 0, 3) == plain.question
    assert item_facts(plain) == () and facts_of(plain, 0, 3) == ()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"n_facts": 1}, "n_facts"), ({"n_facts": 9}, "n_facts"), ({"seed": -1}, "seed")],
)
def test_bad_settings_raise(kwargs: dict[str, int], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        make_task("split_facts", **kwargs)


def test_bad_share_arguments_raise() -> None:
    item = SplitFactsSource().make(0)
    with pytest.raises(ValueError, match="agent_index"):
        facts_of(item, 3, 3)
    with pytest.raises(ValueError, match="n_agents"):
        facts_of(item, 0, 0)

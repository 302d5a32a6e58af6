"""The simulated agents' answer helpers (``econ_env.llm.simulated.distractors``): each item's
fixed wrong answers, the grouping of heard answers and their plurality."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.llm.simulated.distractors import (
    answer_key,
    candidates,
    distractors,
    plurality,
    same_answer,
)
from econ_env.tasks.answers import check_answer


def test_distractors_are_pinned_per_item_id():
    """The order is a function of the item id alone (a CRC-32-seeded shuffle): the same in every
    process and for every backend seed; calibration scores real answers against it."""
    want = ["1.9", "18", "190", "29", "9", "20", "-19", "21", "9.5", "38"]
    assert distractors("t/1", "19", "numeric", 4) == tuple(want)
    assert distractors("c/1", "C", "choice", 5) == ("B", "A", "D", "E")
    assert distractors("l/1", "\\frac{1}{2}", "latex", 4)[:2] == (
        "(\\frac{1}{2})^2",
        "\\frac{1}{2}-1",
    )


@settings(max_examples=200, deadline=None)
@given(
    item_id=st.text(min_size=1, max_size=12),
    gold=st.integers(-(10**5), 10**5).map(str) | st.decimals(-1000, 1000, places=2).map(str),
)
def test_numeric_distractors_are_a_shuffle_of_distinct_wrong_values(item_id, gold):
    # (above 10**6, gold + 1 is within check_answer's relative tolerance 1e-6 of the gold)
    ds = distractors(item_id, gold, "numeric", 4)
    cands = candidates(gold, "numeric", 4)
    assert sorted(ds) == sorted(dict.fromkeys(cands))
    values = [float(d) for d in ds]
    assert len(set(values)) == len(values) and float(gold) not in values
    assert not any(same_answer(d, gold, "numeric") for d in ds)


@pytest.mark.parametrize(
    ("gold", "kind", "n_choices", "want"),
    [
        ("C", "choice", 5, ["A", "B", "D", "E"]),
        (" c ", "choice", 3, ["A", "B"]),
        ("B", "choice", 1, ["A"]),  # at least two options
        ("2.5", "numeric", 4, ["3.5", "1.5", "25.0", "12.5", "5.0"]),
        ("abc", "numeric", 4, ["abc1", "-abc", "2*abc", "abc+1", "abc/2"]),
        ("def f(): return 1", "code", 4, ["# wrong snippet 1", "# wrong snippet 2"]),
    ],
)
def test_candidates_by_kind(gold, kind, n_choices, want):
    got = candidates(gold, kind, n_choices)
    assert got[: len(want)] == want
    assert not any(check_answer(c, gold, kind) for c in got)


@given(st.sampled_from(["\\frac{1}{2}", "x^2", "3", "\\sqrt{2}", "2x+1"]))
def test_latex_candidates_never_equal_the_gold(gold):
    cands = candidates(gold, "latex", 4)
    assert cands and not any(check_answer(c, gold, "latex") for c in cands)


def test_helpers_are_memoised():
    for f in (distractors, answer_key, same_answer):
        f.cache_clear()
    distractors("m/1", "7", "numeric", 4)
    distractors("m/1", "7", "numeric", 4)
    assert distractors.cache_info().hits == 1
    assert answer_key("7", "numeric") is answer_key("7", "numeric")


def test_answer_key_groups_by_normalised_value_else_stripped_text():
    assert answer_key("19.0", "numeric") == answer_key("19", "numeric") == "19"
    assert answer_key("  foo ", "numeric") == "foo"
    assert answer_key("c", "choice") == answer_key("C", "choice")


@pytest.mark.parametrize(
    ("heard", "want", "share"),
    [
        (("20", "19"), "20", 1 / 2),  # a tie goes to the first heard
        (("19", "20"), "19", 1 / 2),
        (("20", "19.0", "19"), "19.0", 2 / 3),  # grouped by value, first written form kept
        (("7",), "7", 1.0),
        (("21", "20.0", "19", "20"), "20.0", 1 / 2),
    ],
)
def test_plurality(heard, want, share):
    assert plurality(heard, "numeric") == (want, share)


@given(st.lists(st.sampled_from(["1", "2", "2.0", "3", "x"]), min_size=1, max_size=9))
def test_plurality_is_a_largest_group_and_its_first_member(heard):
    answer, share = plurality(heard, "numeric")
    keys = [answer_key(h, "numeric") for h in heard]
    best = max(keys.count(k) for k in keys)
    assert share == best / len(heard) and keys.count(answer_key(answer, "numeric")) == best
    first = next(h for h in heard if keys.count(answer_key(h, "numeric")) == best)
    assert answer == first


@given(st.sampled_from(["19", "19.0", "20", " 19 ", "abc"]), st.sampled_from(["19", "20"]))
def test_same_answer_is_check_answer(answer, gold):
    assert same_answer(answer, gold, "numeric") == check_answer(answer, gold, "numeric")

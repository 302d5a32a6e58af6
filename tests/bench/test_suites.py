"""Tests of econ_env.bench.suites: deterministic, unique ids, gold for dev, limits and budgets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.bench import suites as S
from econ_env.bench.suites import EpisodeSpec, Suite, SuiteCase, get_suite, list_suites
from econ_env.tasks import make_task

DEV, TEST = "econ-bench-v0/dev", "econ-bench-v0/test"


def test_shipped_suites():
    assert list_suites() == [DEV, TEST, "econ-bench-v1/dev", "econ-bench-v1/test"]
    dev, test = get_suite(DEV), get_suite(TEST)
    assert dev.gold == "bundled" and test.gold == "external"
    assert dev.version == test.version == "0.1.0"
    assert [c.env for c in dev.cases] == ["auction_v0", "auction_v0", "debate_v0", "debate_v0"]
    assert {c.config["task"] for c in dev.cases} == {"gsm8k", "arithmetic", "mmlu"}
    for case in dev.cases:
        assert len(case.item_ids) == 30 and case.seeds == (0, 1)
        assert "budget" not in case.config
        if case.env == "debate_v0":
            assert case.config["embedder"] == "hashed"
    with pytest.raises(ValueError, match="unknown suite"):
        get_suite("econ-bench-v0/train")


def test_suites_are_deterministic():
    built = S._build("dev")
    assert built == get_suite(DEV)
    assert built.episodes() == S._build("dev").episodes() == get_suite(DEV).episodes()


@pytest.mark.parametrize("name", [DEV, TEST])
def test_episode_ids_are_unique_and_well_formed(name):
    suite = get_suite(name)
    eps = suite.episodes()
    ids = [e.episode_id for e in eps]
    assert len(ids) == len(set(ids))
    expected = sum(len(c.item_ids) * len(c.budgets) * len(c.seeds) for c in suite.cases)
    assert len(eps) == expected
    for e in eps:
        assert e.episode_id == f"{e.case}|{e.item_id}|b{e.budget}|s{e.seed}"
        assert e.env_config()["budget"] == e.budget


def test_dev_and_test_items_are_disjoint():
    dev, test = get_suite(DEV), get_suite(TEST)
    for a, b in zip(dev.cases, test.cases, strict=True):
        assert a.name == b.name and not set(a.item_ids) & set(b.item_ids)


def test_dev_gold_is_available_for_every_item():
    suite = get_suite(DEV)
    for case in suite.cases:
        source = make_task(case.config["task"])
        for item_id in case.item_ids:
            gold, kind = suite.gold_for(item_id, case.name)
            item = source.get(item_id)
            assert (gold, kind) == (item.gold, item.kind) and gold
    with pytest.raises(ValueError, match="not in case"):
        suite.gold_for("gsm8k/test/1", "debate-mmlu")


def test_test_suite_keeps_gold_outside_but_knows_the_kind():
    suite = get_suite(TEST)
    case = suite.case("debate-mmlu")
    with pytest.raises(ValueError, match="gold file"):
        suite.gold_for(case.item_ids[0], case.name)
    assert suite.kind_for(case.item_ids[0], case.name) == "choice"


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 35), st.sampled_from([DEV, TEST]))
def test_limit_keeps_the_first_items_of_every_case_in_order(limit, name):
    suite = get_suite(name)
    full = suite.episodes()
    part = suite.episodes(limit)
    position = {e.episode_id: i for i, e in enumerate(full)}
    assert [position[e.episode_id] for e in part] == sorted(position[e.episode_id] for e in part)
    for case in suite.cases:
        items = {e.item_id for e in part if e.case == case.name}
        assert items == set(case.item_ids[:limit])
        n = sum(e.case == case.name for e in part)
        assert n == min(limit, len(case.item_ids)) * len(case.budgets) * len(case.seeds)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 100_000), min_size=1, max_size=4, unique=True))
def test_budgets_override_every_case(budgets):
    eps = get_suite(DEV).episodes(1, budgets=budgets)
    assert {e.budget for e in eps} == set(budgets)
    assert len(eps) == len(get_suite(DEV).cases) * len(budgets) * 2


def test_bad_limits_and_budgets():
    suite = get_suite(DEV)
    for limit in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="limit"):
            suite.episodes(limit)
    for budgets in ([], [0], [5, 5], [1.5]):
        with pytest.raises(ValueError, match="budgets"):
            suite.episodes(budgets=budgets)


def _case(**kw):
    args = dict(name="c", env="auction_v0", config={"task": "gsm8k"}, item_ids=("a",),
                budgets=(10,), seeds=(0,))  # fmt: skip
    args.update(kw)
    return SuiteCase(**args)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"name": "a|b"}, "name"),
        ({"env": "chess_v0"}, "env"),
        ({"config": {"task": "gsm8k", "budget": 5}}, "config"),
        ({"config": {}}, "config"),
        ({"item_ids": ("a", "a")}, "item_ids"),
        ({"item_ids": ()}, "item_ids"),
        ({"budgets": (0,)}, "budgets"),
        ({"seeds": (-1,)}, "seeds"),
        ({"seeds": (0, 0)}, "seeds"),
    ],
)
def test_suite_case_validation_names_the_field(kw, field):
    with pytest.raises(ValueError, match=rf"SuiteCase\.{field} must be"):
        _case(**kw)


def test_suite_validation():
    with pytest.raises(ValueError, match=r"Suite\.gold must be"):
        Suite("s", "1", (_case(),), "secret")
    with pytest.raises(ValueError, match=r"Suite\.cases must be"):
        Suite("s", "1", (_case(), _case()), "bundled")
    with pytest.raises(ValueError, match=r"EpisodeSpec\.episode_id must be"):
        EpisodeSpec("x", "c", "auction_v0", {}, "a", 10, 0)

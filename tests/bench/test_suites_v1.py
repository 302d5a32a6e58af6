"""Tests of econ-bench-v1 (econ_env.bench.suites_v1): cases, frozen regimes, gold, baselines."""

from __future__ import annotations

import json

import pytest

from econ_env.bench.baselines import BENCH_BASELINES
from econ_env.bench.runner import run_suite
from econ_env.bench.suites import get_suite, suite_gold
from econ_env.bench.verify import verify_submission
from econ_env.tasks import make_task

DEV, TEST = "econ-bench-v1/dev", "econ-bench-v1/test"

# The configs written out: a change of econ_env.regimes must not change the suite silently.
CONFIGS = {
    "auction-arithmetic": {"n_agents": 3, "task": "arithmetic"},
    "auction-gsm8k": {"n_agents": 3, "task": "gsm8k"},
    "auction-one-expert": {"n_agents": 3, "team": "one_expert", "task": "arithmetic"},
    "auction-asymmetric": {"n_agents": 3, "task": "split_facts"},
    "auction-tiered": {
        "n_agents": 3,
        "team": "one_expert",
        "tiers": ["full", "summary", "keywords"],
        "task": "arithmetic",
    },
    "auction-code": {"n_agents": 3, "task": "humaneval"},
    "debate-gsm8k": {"n_agents": 3, "embedder": "hashed", "task": "gsm8k"},
    "debate-mmlu": {"n_agents": 3, "embedder": "hashed", "task": "mmlu"},
    "debate-one-expert": {
        "n_agents": 3,
        "team": "one_expert",
        "task": "arithmetic",
        "embedder": "hashed",
    },
    "debate-asymmetric": {"n_agents": 3, "task": "split_facts", "embedder": "hashed"},
    "debate-code": {"n_agents": 3, "embedder": "hashed", "task": "humaneval"},
}


@pytest.mark.parametrize("name", [DEV, TEST])
def test_v1_cases_are_the_written_out_configs(name):
    suite = get_suite(name)
    assert suite.version == "1.0.0"
    assert suite.gold == ("bundled" if name == DEV else "external")
    assert {c.name: dict(c.config) for c in suite.cases} == CONFIGS
    for case in suite.cases:
        assert len(case.item_ids) == 20 and len(case.budgets) == 2 and case.seeds == (0, 1)
    assert len(suite.episodes()) == 11 * 80


def test_v1_dev_and_test_items_are_disjoint_and_dev_gold_exists():
    dev, test = get_suite(DEV), get_suite(TEST)
    for a, b in zip(dev.cases, test.cases, strict=True):
        assert a.name == b.name and not set(a.item_ids) & set(b.item_ids)
    for case in dev.cases:
        source = make_task(case.config["task"])
        for item_id in case.item_ids:
            gold, kind = dev.gold_for(item_id, case.name)
            assert gold and (gold, kind) == (source.get(item_id).gold, source.get(item_id).kind)
    assert {dev.kind_for(c.item_ids[0], c.name) for c in dev.cases} >= {"numeric", "code"}


@pytest.mark.parametrize("policy", sorted(BENCH_BASELINES))
def test_every_baseline_plays_every_v1_case(policy, tmp_path):
    results = run_suite(DEV, policy, tmp_path, limit=1, progress=False)
    assert results["episodes"] == 11 * 4
    assert set(results["per_case"]) == set(CONFIGS)
    assert 0.0 <= results["accuracy"] <= 1.0
    report = verify_submission(tmp_path)  # replayed, re-scored, and the baseline re-played
    assert report.ok and report.complete is False, report.errors


def test_v1_test_run_verifies_with_the_maintainers_gold_file(tmp_path):
    suite = get_suite(TEST)
    gold = suite_gold(suite)
    assert set(gold) == {i for c in suite.cases for i in c.item_ids}
    gold_file = tmp_path / "gold.json"
    gold_file.write_text(json.dumps(gold))
    run_suite(TEST, "truthful", tmp_path / "run", limit=1, progress=False)
    assert not verify_submission(tmp_path / "run").ok  # no gold file: refused
    report = verify_submission(tmp_path / "run", gold_file=gold_file)
    assert report.ok, report.errors
    wrong = {k: "0" if v != "0" else "1" for k, v in gold.items() if k.startswith("rg/")}
    gold_file.write_text(json.dumps({**gold, **wrong}))
    assert not verify_submission(tmp_path / "run", gold_file=gold_file).ok

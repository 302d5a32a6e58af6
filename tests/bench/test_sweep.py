"""run_sweep: one run_suite per (policy, budget), sweep.json numbers and the sweep.png figure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.bench import sweep
from econ_env.bench.suites import get_suite

SUITE = "econ-bench-v0/dev"
POLICIES = ("single_cot", "truthful")
BUDGETS = (1024, 512)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sweep")
    return out, sweep.run_sweep(SUITE, POLICIES, BUDGETS, out, limit=1, progress=False)


def test_sweep_json_matches_the_submissions(swept: tuple[Path, dict]) -> None:
    out, data = swept
    assert json.loads((out / "sweep.json").read_text()) == data
    suite = get_suite(SUITE)
    assert data["suite"] == suite.name and data["suite_version"] == suite.version
    assert data["budgets"] == sorted(BUDGETS) and data["limit"] == 1
    assert list(data["policies"]) == list(POLICIES)
    for policy, points in data["policies"].items():
        assert [p["budget"] for p in points] == sorted(BUDGETS)
        for p in points:
            sub = out / p["submission"]
            assert sub == out / sweep.policy_dirname(policy) / f"b{p['budget']}"
            res = json.loads((sub / "results.json").read_text())
            for key in sweep.POINT_KEYS:
                assert p[key] == res[key], key
            traces = [json.loads(line) for line in (sub / "traces.jsonl").read_text().splitlines()]
            specs = suite.episodes(1, budgets=[p["budget"]])
            assert [t["episode_id"] for t in traces] == [s.episode_id for s in specs]
            assert len(traces) == p["episodes"]
            assert {t["budget"] for t in traces} == {p["budget"]}
            assert all(t["totals"]["billed"] <= p["budget"] for t in traces)
            assert p["accuracy"] == pytest.approx(sum(t["correct"] for t in traces) / len(traces))
            gen = sum(t["totals"]["generated"] for t in traces) / len(traces)
            assert p["generated_tokens"] == pytest.approx(gen)


def test_sweep_png_and_table(swept: tuple[Path, dict], tmp_path: Path) -> None:
    out, data = swept
    assert (out / "sweep.png").read_bytes()[:8] == PNG_MAGIC
    redrawn = sweep.plot_sweep(data, tmp_path / "again.png")
    assert redrawn.read_bytes()[:8] == PNG_MAGIC
    table = sweep.format_sweep(data).splitlines()
    assert len(table) == 1 + len(POLICIES) * len(BUDGETS)
    assert table[1].split()[:2] == [POLICIES[0], str(min(BUDGETS))]


def test_sweep_resumes_without_replaying(swept: tuple[Path, dict]) -> None:
    out, data = swept
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("traces.jsonl")}
    again = sweep.run_sweep(SUITE, POLICIES, BUDGETS, out, limit=1, progress=False)
    assert again == data
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("traces.jsonl")}
    assert after == before


@pytest.mark.parametrize(
    ("policies", "budgets", "limit", "match"),
    [
        ((), (512,), None, "policies"),
        (("a", "a"), (512,), None, "distinct"),
        (("a:b", "a_b"), (512,), None, "distinct"),
        (("a",), (), None, "budgets"),
        (("a",), (0,), None, "positive"),
        (("a",), (512, 512), None, "distinct"),
        (("a",), (512,), 0, "limit"),
        (("///",), (512,), None, "empty directory name"),
    ],
)
def test_bad_arguments(tmp_path: Path, policies, budgets, limit, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sweep.run_sweep(SUITE, policies, budgets, tmp_path, limit=limit, progress=False)
    assert not (tmp_path / "sweep.json").exists()


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_policy_dirname_is_a_safe_single_component(policy: str) -> None:
    try:
        name = sweep.policy_dirname(policy)
    except ValueError:
        return
    assert name and "/" not in name and "\\" not in name and name not in (".", "..")
    assert not name.startswith(".")
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    assert sweep.policy_dirname(name) == name  # idempotent


def test_plot_sweep_handles_dollar_names_and_single_points(tmp_path: Path) -> None:
    point = {"budget": 64, "accuracy": 0.5, "accuracy_ci": [0.4, 0.6], "generated_tokens": 10.0,
             "generated_ci": [9.0, 11.0], "billed_tokens": 5.0, "billed_ci": [4.0, 6.0],
             "episodes": 2}  # fmt: skip
    data = {"suite": "s", "suite_version": "1", "policies": {"cost $x$ {": [point]}}
    assert sweep.plot_sweep(data, tmp_path / "s.png").read_bytes()[:8] == PNG_MAGIC

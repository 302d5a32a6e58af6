"""Tests of econ_env.bench.runner and submission: the files, resuming, actions and bootstrap CIs."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import given, settings
from hypothesis import strategies as st

import econ_env
from econ_env.bench import submission as sub
from econ_env.bench.runner import action_from_json, action_to_json, run_suite
from econ_env.bench.suites import get_suite
from econ_env.bench.verify import load_schema, verify_submission

DEV = "econ-bench-v0/dev"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class _Counter:
    """Counts episodes played (a policy's first act call) and act calls; raises at episode
    ``crash_after`` when set."""

    started = 0
    calls = 0
    crash_after: int | None = None


class CountingPolicy:
    """A module:Class policy for the tests: each env's default policy (truthful / neutral),
    counted. It is built from the env's public spec only (never from the env)."""

    def __init__(self, spec, seed: int = 0) -> None:
        assert isinstance(spec, econ_env.EnvSpec), f"built from a {type(spec).__name__}"
        default = econ_env.env_info(spec.env).default_policy
        self.inner = econ_env.make_policy(default, spec, seed)
        self.episode: int | None = None

    def act(self, obs, agent):
        if self.episode is None:
            self.episode = _Counter.started
            _Counter.started += 1
        if _Counter.crash_after is not None and self.episode >= _Counter.crash_after:
            raise RuntimeError("simulated crash")
        _Counter.calls += 1
        return self.inner.act(obs, agent)


@pytest.fixture
def counting(monkeypatch):
    module = types.ModuleType("econ_bench_counting_policy")
    module.CountingPolicy = CountingPolicy
    monkeypatch.setitem(sys.modules, module.__name__, module)
    _Counter.started = _Counter.calls = 0
    _Counter.crash_after = None
    yield f"{module.__name__}:CountingPolicy"
    _Counter.crash_after = None


@pytest.fixture(scope="module")
def honest(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("honest")
    return out, run_suite(DEV, "truthful", out, limit=1, progress=False)


def test_run_suite_writes_three_files_that_pass_the_schemas(honest):
    out, _ = honest
    meta = json.loads((out / sub.METADATA).read_text())
    jsonschema.validate(meta, load_schema("metadata"))
    jsonschema.validate(json.loads((out / sub.RESULTS).read_text()), load_schema("results"))
    traces = _lines(out / sub.TRACES)
    for t in traces:
        jsonschema.validate(t, load_schema("trace"))
    assert meta["suite"] == DEV and meta["suite_version"] == get_suite(DEV).version
    assert meta["policy"] == "truthful" and meta["limit"] == 1
    assert meta["prompt_hash"] == sub.prompt_hash()
    assert meta["backend"]["name"] == "simulated"


def test_a_new_version_of_a_game_that_keeps_its_prompts_keeps_the_prompt_hash(monkeypatch):
    """Registering auction_v1/debate_v1 must not invalidate every submission made before."""
    from dataclasses import replace

    from econ_env import registry

    before = (sub.prompt_versions(), sub.prompt_hash())
    assert len(before[0]) == len(set(before[0]))
    base = registry.ENVS["auction_v0"]
    extra = {**registry.ENVS, "auction_v9": replace(base, name="auction_v9")}
    monkeypatch.setattr(registry, "ENVS", extra)
    assert (sub.prompt_versions(), sub.prompt_hash()) == before
    changed = replace(base, name="auction_v9", prompt_version="auction-v9.0")
    monkeypatch.setattr(registry, "ENVS", {**extra, "auction_v9": changed})
    assert "auction-v9.0" in sub.prompt_versions() and sub.prompt_hash() != before[1]


def test_traces_follow_suite_order_and_results_aggregate_them(honest):
    out, results = honest
    traces = _lines(out / sub.TRACES)
    assert [t["episode_id"] for t in traces] == [s.episode_id for s in get_suite(DEV).episodes(1)]
    assert results == json.loads((out / sub.RESULTS).read_text())
    assert results["episodes"] == len(traces)
    assert results["accuracy"] == pytest.approx(np.mean([t["correct"] for t in traces]))
    gen = np.mean([t["totals"]["generated"] for t in traces])
    assert results["generated_tokens"] == pytest.approx(gen)
    assert results["accuracy_per_1k_generated"] == pytest.approx(1000 * results["accuracy"] / gen)
    for t in traces:
        assert t["totals"]["billed"] == sum(e["billed"] for e in t["ledger"]) <= t["budget"]
        assert t["totals"]["generated"] == sum(
            e["prompt_tokens"] + e["completion_tokens"] for e in t["ledger"]
        )
    assert set(results["per_case"]) == {c.name for c in get_suite(DEV).cases}
    assert sum(c["episodes"] for c in results["per_case"].values()) == len(traces)


def test_rerun_of_a_finished_run_plays_nothing(tmp_path, counting):
    first = run_suite(DEV, counting, tmp_path, limit=1, progress=False)
    assert _Counter.started == len(get_suite(DEV).episodes(1))
    calls = _Counter.calls
    assert run_suite(DEV, counting, tmp_path, limit=1, progress=False) == first
    assert _Counter.started == len(get_suite(DEV).episodes(1)) and _Counter.calls == calls


def test_resume_after_a_crash_redoes_no_episode_and_matches_an_uninterrupted_run(
    tmp_path, counting
):
    full_dir, crash_dir = tmp_path / "full", tmp_path / "crash"
    full = run_suite(DEV, counting, full_dir, limit=1, progress=False)
    total_eps, total_calls = _Counter.started, _Counter.calls

    _Counter.started = _Counter.calls = 0
    _Counter.crash_after = 7
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_suite(DEV, counting, crash_dir, limit=1, progress=False)
    done = _lines(crash_dir / sub.TRACES)
    assert len(done) == 7
    assert not (crash_dir / sub.RESULTS).exists()
    # A crash in the middle of writing the next line leaves a partial line behind.
    with (crash_dir / sub.TRACES).open("a") as fh:
        fh.write('{"episode_id": "auction-gsm8k|gsm8k/test/1|b20')

    _Counter.started = _Counter.calls = 0
    _Counter.crash_after = None
    resumed = run_suite(DEV, counting, crash_dir, limit=1, progress=False)
    assert _Counter.started == total_eps - 7  # no finished episode is played again
    assert _Counter.calls == total_calls - sum(len(t["actions"]) for t in done)
    assert (crash_dir / sub.TRACES).read_text() == (full_dir / sub.TRACES).read_text()
    assert resumed == full


def test_a_module_class_policy_is_built_from_the_spec_and_its_run_verifies(tmp_path, counting):
    run_suite(DEV, counting, tmp_path, limit=1, progress=False)
    traces = _lines(tmp_path / sub.TRACES)
    assert _Counter.started == len(traces) == len(get_suite(DEV).episodes(1))
    assert _Counter.calls == sum(len(t["actions"]) for t in traces)
    report = verify_submission(tmp_path)
    assert report.ok, report


def test_the_same_run_with_a_registered_name_writes_the_same_traces(tmp_path, counting):
    """The counting policy plays each env's default policy: its traces equal those of the bench
    baseline ``truthful`` on the auction cases (the truthful bidder there)."""
    run_suite(DEV, counting, tmp_path / "counting", limit=1, progress=False)
    run_suite(DEV, "truthful", tmp_path / "named", limit=1, progress=False)
    a = [t for t in _lines(tmp_path / "counting" / sub.TRACES) if t["env"] == "auction_v0"]
    b = [t for t in _lines(tmp_path / "named" / sub.TRACES) if t["env"] == "auction_v0"]
    assert a and [t["actions"] for t in a] == [t["actions"] for t in b]


def test_resume_refuses_a_different_run(tmp_path):
    run_suite(DEV, "truthful", tmp_path, limit=1, progress=False)
    with pytest.raises(ValueError, match=r"policy: 'truthful'.*'random'"):
        run_suite(DEV, "random", tmp_path, limit=1, progress=False)
    with pytest.raises(ValueError, match=r"limit: 1 .* 2 now"):
        run_suite(DEV, "truthful", tmp_path, limit=2, progress=False)


def test_a_corrupt_line_before_the_end_is_not_silently_dropped(tmp_path):
    run_suite(DEV, "truthful", tmp_path, limit=1, progress=False)
    lines = (tmp_path / sub.TRACES).read_text().splitlines(keepends=True)
    lines[2] = lines[2][:50] + "\n"
    (tmp_path / sub.TRACES).write_text("".join(lines))
    with pytest.raises(ValueError, match="line 3 is not a complete trace"):
        run_suite(DEV, "truthful", tmp_path, limit=1, progress=False)


def test_budgets_override_every_case_and_is_recorded(tmp_path):
    results = run_suite(DEV, "truthful", tmp_path, limit=1, progress=False, budgets=[300])
    traces = _lines(tmp_path / sub.TRACES)
    assert {t["budget"] for t in traces} == {300}
    assert all(t["totals"]["billed"] <= 300 for t in traces)
    assert len(traces) == results["episodes"] == len(get_suite(DEV).cases) * 2
    assert json.loads((tmp_path / sub.METADATA).read_text())["budgets"] == [300]


def test_bench_baseline_overrides_are_played_and_recorded(tmp_path):
    run_suite(DEV, "single_cot", tmp_path, limit=1, progress=False, budgets=[4096])
    for t in _lines(tmp_path / sub.TRACES):
        assert t["config"]["n_agents"] == 1 and t["config"]["max_rounds"] == 1
        agents = {e["agent"] for e in t["ledger"]}
        assert not agents & {"bidder_1", "bidder_2", "executor_1", "executor_2"}


def test_run_suite_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown suite"):
        run_suite("econ-bench-v9/dev", "truthful", tmp_path, progress=False)
    with pytest.raises(ValueError, match="limit"):
        run_suite(DEV, "truthful", tmp_path, limit=0, progress=False)
    with pytest.raises(ValueError, match="budgets"):
        run_suite(DEV, "truthful", tmp_path, budgets=[0], progress=False)
    with pytest.raises(ValueError, match="budgets has 17 entries; at most 16 allowed"):
        run_suite(DEV, "truthful", tmp_path, budgets=range(1, 18), progress=False)
    with pytest.raises(ValueError, match="cannot build policy 'no_such_policy'"):
        run_suite(DEV, "no_such_policy", tmp_path, progress=False)
    assert not (tmp_path / sub.METADATA).exists()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(-1, 1, width=32), min_size=1, max_size=8))
def test_continuous_actions_round_trip_through_json_exactly(values):
    space = spaces.Box(-1, 1, (len(values),), dtype=np.float32)
    action = np.asarray(values, dtype=np.float32)
    encoded = json.loads(json.dumps(action_to_json(action)))
    np.testing.assert_array_equal(action_from_json(encoded, space), action)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 9))
def test_discrete_actions_round_trip_and_bad_types_are_refused(level):
    space = spaces.Discrete(10)
    assert action_from_json(action_to_json(np.int64(level)), space) == level
    with pytest.raises(ValueError):
        action_from_json(float(level), space)
    with pytest.raises(ValueError):
        action_from_json([float("nan")], spaces.Box(-1, 1, (1,)))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 5000, allow_nan=False), min_size=1, max_size=40))
def test_bootstrap_ci_is_an_ordered_interval_inside_the_data_range(values):
    arr = np.asarray(values)
    chunks = sub._resample_indices(len(arr))
    lo, hi = sub.bootstrap_ci(arr, chunks)
    assert arr.min() - 1e-9 <= lo <= hi <= arr.max() + 1e-9
    assert sum(len(c) for c in chunks) == sub.N_BOOTSTRAP
    assert sub.bootstrap_ci(arr, sub._resample_indices(len(arr))) == [lo, hi]  # seeded


def test_bootstrap_ci_of_a_constant_is_that_constant():
    assert sub.bootstrap_ci(np.full(9, 0.5), sub._resample_indices(9)) == [0.5, 0.5]


def test_strict_json_refuses_duplicates_and_nan():
    with pytest.raises(ValueError, match="duplicate key 'a'"):
        sub.loads_strict('{"a": 1, "a": 2}')
    with pytest.raises(ValueError, match="NaN"):
        sub.loads_strict('{"a": NaN}')
    with pytest.raises(ValueError):
        sub.dump_json({"a": float("inf")})

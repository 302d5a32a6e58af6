"""verify_submission: honest submissions pass; each tampered copy fails for the right reason."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from econ_env.bench import submission as sub
from econ_env.bench.runner import run_suite
from econ_env.bench.suites import get_suite
from econ_env.bench.verify import verify_submission

DEV, TEST = "econ-bench-v0/dev", "econ-bench-v0/test"


def _traces(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / sub.TRACES).read_text().splitlines()]


def _write_traces(path: Path, traces: list[dict], *, fix_results: bool = False) -> None:
    (path / sub.TRACES).write_text("".join(json.dumps(t) + "\n" for t in traces))
    if fix_results:  # keep results.json consistent so only the tampered detail can be caught
        meta = json.loads((path / sub.METADATA).read_text())
        results = sub.compute_results(
            traces, suite=meta["suite"], suite_version=meta["suite_version"], policy=meta["policy"]
        )
        sub.write_json(path / sub.RESULTS, results)


def _edit_json(path: Path, name: str, edit: Callable[[dict], None]) -> None:
    obj = json.loads((path / name).read_text())
    edit(obj)
    (path / name).write_text(json.dumps(obj))


@pytest.fixture(scope="module")
def honest(dev_limit1) -> Path:
    return dev_limit1  # conftest.py: the dev suite with limit=1, policy truthful


@pytest.fixture(scope="module")
def honest_test(tmp_path_factory) -> tuple[Path, Path]:
    """A test-suite submission and its external gold file (built from the task sources)."""
    out = tmp_path_factory.mktemp("honest_test")
    run_suite(TEST, "truthful", out, limit=1, progress=False)
    from econ_env.tasks import make_task

    suite = get_suite(TEST)
    gold = {}
    for case in suite.cases:
        for item in case.item_ids[:1]:
            gold[item] = make_task(case.config["task"]).get(item).gold
    gold_file = out.parent / "test_gold.json"
    gold_file.write_text(json.dumps(gold))
    return out, gold_file


@pytest.fixture
def copy(honest, tmp_path) -> Path:
    dst = tmp_path / "sub"
    shutil.copytree(honest, dst)
    return dst


def _rejected(path: Path, *needles: str, **kwargs) -> list[str]:
    report = verify_submission(path, **kwargs)
    assert not report.ok
    text = "\n".join(report.errors)
    for needle in needles:
        assert needle in text, f"{needle!r} not in:\n{text}"
    return report.errors


def test_honest_submission_is_accepted(honest):
    report = verify_submission(honest)
    assert report.ok, report.errors
    assert report.checked_episodes == len(get_suite(DEV).episodes(1)) == len(_traces(honest))
    assert not report.complete and report.limit == 1  # a limit run: accepted, but partial


def test_honest_external_gold_submission_is_accepted(honest_test):
    path, gold_file = honest_test
    report = verify_submission(path, gold_file=gold_file)
    assert report.ok, report.errors
    assert report.checked_episodes == len(get_suite(TEST).episodes(1))


def test_external_gold_suite_needs_the_gold_file(honest_test):
    _rejected(honest_test[0], "keeps its gold outside the package: pass gold_file")


def test_swapped_gold_flags_the_affected_episodes(honest_test, tmp_path):
    path, gold_file = honest_test
    gold = json.loads(gold_file.read_text())
    traces = _traces(path)
    # Two items with different golds, the first answered correctly at least once.
    a = next(t["item_id"] for t in traces if t["correct"])
    b = next(i for i in gold if gold[i] != gold[a])
    gold[a], gold[b] = gold[b], gold[a]
    swapped = tmp_path / "swapped.json"
    swapped.write_text(json.dumps(gold))
    errors = _rejected(path, "correct is true but final answer", gold_file=swapped)
    flagged = {e.split("(episode ")[1].split("|")[1] for e in errors if "gold answer" in e}
    assert a in flagged and flagged <= {a, b}


def test_edited_totals(copy):
    traces = _traces(copy)
    traces[0]["totals"]["billed"] -= 10
    traces[1]["totals"]["generated"] += 5
    _write_traces(copy, traces, fix_results=True)
    ep0, ep1 = traces[0]["episode_id"], traces[1]["episode_id"]
    _rejected(
        copy,
        f"traces.jsonl line 1 (episode {ep0}): totals.billed {traces[0]['totals']['billed']} "
        "but the ledger sums to",
        f"traces.jsonl line 2 (episode {ep1}): totals.generated",
    )


def test_altered_final_answer(copy):
    traces = _traces(copy)
    i = next(i for i, t in enumerate(traces) if t["correct"])
    traces[i]["final_answer"] = "123456789"
    _write_traces(copy, traces, fix_results=True)
    ep = traces[i]["episode_id"]
    _rejected(
        copy,
        f"line {i + 1} (episode {ep}): correct is true but final answer '123456789' "
        "does not match the gold answer",
        f"(episode {ep}): final_answer '123456789' differs from the replay's",
    )


def test_flipped_correct_is_rescored_without_replay(copy):
    traces = _traces(copy)
    i = next(i for i, t in enumerate(traces) if not t["correct"])
    traces[i]["correct"] = True
    _write_traces(copy, traces, fix_results=True)
    errors = _rejected(
        copy, f"(episode {traces[i]['episode_id']}): correct is true but final answer", replay=False
    )
    assert len(errors) == 1


def test_truncated_traces_missing_last_episode(copy):
    traces = _traces(copy)
    last = traces.pop()
    _write_traces(copy, traces)
    _rejected(
        copy,
        f"traces.jsonl: missing episode {last['episode_id']}",
        "results.json: episodes is 24 but the traces give 23",
    )


def test_truncated_traces_cut_line(copy):
    text = (copy / sub.TRACES).read_text()
    n = text.count("\n")
    start = text.rstrip("\n").rfind("\n") + 1  # the last line, cut in the middle
    (copy / sub.TRACES).write_text(text[: start + (len(text) - start) // 2])
    errors = _rejected(copy, f"traces.jsonl line {n}: malformed JSON at line 1 column")
    assert len(errors) == 1  # parsing failed: verify stops there


def test_wrong_suite_version(copy):
    _edit_json(copy, sub.METADATA, lambda m: m.update(suite_version="0.0.9"))
    _rejected(copy, "metadata.json: suite_version '0.0.9' does not match econ-bench-v0/dev")


def test_claiming_another_backend_does_not_skip_replay(copy):
    traces = _traces(copy)
    traces[0]["final_answer"] = traces[0]["final_answer"] + "0"
    _write_traces(copy, traces)
    _edit_json(copy, sub.METADATA, lambda m: m["backend"].update(name="my-llm"))
    _rejected(
        copy,
        "metadata.json: backend.name 'my-llm' but the suite's episodes run on ['simulated']",
        f"(episode {traces[0]['episode_id']}): final_answer",
    )


def test_unknown_suite(copy):
    _edit_json(copy, sub.METADATA, lambda m: m.update(suite="econ-bench-v0/secret"))
    _rejected(copy, "metadata.json: unknown suite 'econ-bench-v0/secret'")


def test_oversized_file(copy):
    size = (copy / sub.TRACES).stat().st_size
    _rejected(copy, f"traces.jsonl: {size} bytes, over the size limit of 5000", max_file_bytes=5000)


@pytest.mark.parametrize("name", [sub.METADATA, sub.RESULTS])
def test_malformed_json_files(copy, name):
    text = (copy / name).read_text()
    (copy / name).write_text(text.replace('"suite":', '"suite" ', 1))
    _rejected(copy, f"{name}: malformed JSON at line")


def test_malformed_trace_line(copy):
    lines = (copy / sub.TRACES).read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace('"seed":', '"seed" ', 1)
    (copy / sub.TRACES).write_text("".join(lines))
    _rejected(copy, "traces.jsonl line 3: malformed JSON at line 1 column")


def test_duplicate_keys_and_nan_are_refused(copy):
    (copy / sub.METADATA).write_text('{"policy": "a", "policy": "b"}')
    _rejected(copy, "metadata.json: malformed JSON: duplicate key 'policy'")


def test_missing_file(copy):
    (copy / sub.RESULTS).unlink()
    _rejected(copy, "results.json: missing")


def test_schema_violation(copy):
    traces = _traces(copy)
    traces[4]["totals"]["billed"] = "lots"
    _write_traces(copy, traces)
    _rejected(copy, "traces.jsonl line 5 (episode", "schema: at totals/billed: 'lots'")


def test_edited_ledger_entry_is_caught_by_replay(copy):
    traces = _traces(copy)
    t = traces[3]
    k = next(k for k, e in enumerate(t["ledger"]) if e["completion_tokens"] >= 20)
    t["ledger"][k]["completion_tokens"] -= 20  # hide 20 generated tokens, consistently
    t["totals"]["generated"] -= 20
    _write_traces(copy, traces, fix_results=True)
    assert verify_submission(copy, replay=False).ok  # self-consistent: only replay can tell
    _rejected(
        copy,
        f"line 4 (episode {t['episode_id']}): ledger entry {k} differs from the replay: "
        f"completion_tokens {t['ledger'][k]['completion_tokens']} (trace) vs "
        f"{t['ledger'][k]['completion_tokens'] + 20} (replay)",
    )


def test_edited_actions_are_caught_by_replay(copy):
    traces = _traces(copy)
    traces[0]["actions"] = traces[0]["actions"][:-1]
    _write_traces(copy, traces)
    _rejected(copy, f"(episode {traces[0]['episode_id']}): replay failed:")


def test_results_accuracy_edit(copy):
    results = json.loads((copy / sub.RESULTS).read_text())
    true_acc = results["accuracy"]
    edited = true_acc + 0.1 if true_acc <= 0.9 else true_acc - 0.1
    _edit_json(copy, sub.RESULTS, lambda r: r.update(accuracy=edited))
    errors = _rejected(copy, f"but the traces give {true_acc!r}", "results.json: accuracy is")
    assert len(errors) == 1


def test_duplicate_and_unknown_episodes(copy):
    traces = _traces(copy)
    extra = dict(traces[0], episode_id=traces[0]["episode_id"].replace("|s0", "|s7"))
    _write_traces(copy, [*traces, traces[1], extra])
    _rejected(
        copy,
        f"traces.jsonl line {len(traces) + 1}: duplicate episode {traces[1]['episode_id']} "
        "(first on line 2)",
        f"traces.jsonl line {len(traces) + 2}: unknown episode {extra['episode_id']}",
    )


def test_config_edit_is_refused_before_replay(copy):
    traces = _traces(copy)
    traces[0]["config"]["n_agents"] = 1
    _write_traces(copy, traces)
    _rejected(copy, f"(episode {traces[0]['episode_id']}): config {{")


def test_not_a_directory(tmp_path):
    _rejected(tmp_path / "nope", "not a directory")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(-1e6, 1e6) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_edit_of_a_trace_field_is_rejected_without_crashing(honest, tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz")
    for name in (sub.METADATA, sub.RESULTS):
        shutil.copy(honest / name, path / name)
    traces = _traces(honest)
    i = data.draw(st.integers(0, len(traces) - 1))
    key = data.draw(st.sampled_from(sorted(traces[i])))
    value = data.draw(_JSON)
    if value == traces[i][key]:
        return
    traces[i][key] = value
    _write_traces(path, traces)
    report = verify_submission(path)
    assert not report.ok
    assert any(f"line {i + 1}" in e or "missing episode" in e for e in report.errors)


@pytest.mark.parametrize("name", ["metadata", "results", "trace"])
def test_published_schemas_match_the_packaged_ones(name):
    from econ_env.bench.verify import load_schema

    published = Path(__file__).resolve().parents[2] / "docs" / "schemas" / f"{name}.schema.json"
    assert json.loads(published.read_text()) == load_schema(name)


def test_a_module_class_policy_in_the_metadata_is_never_imported(copy, tmp_path, monkeypatch):
    """The policy name is untrusted data: verify re-scores and replays without importing it."""
    import sys

    marker = tmp_path / "imported"
    (tmp_path / "evil_policy_mod.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass Policy:\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    name = "evil_policy_mod:Policy"
    _edit_json(copy, sub.METADATA, lambda m: m.update(policy=name))
    traces = _traces(copy)
    for t in traces:
        t["policy"] = name
    _write_traces(copy, traces, fix_results=True)
    report = verify_submission(copy)
    assert report.ok, report
    assert report.checked_episodes == len(traces)
    assert not marker.exists() and "evil_policy_mod" not in sys.modules


@pytest.mark.parametrize(
    "evaluation, needle",
    [
        ({"wrong": "type"}, "evaluation"),  # found by test_verify_fuzz: accepted before
        ({"by": "someone", "seed_commitment": "0" * 64, "seeds": {"c": [1]},
          "isolation": "none", "limits": {}, "agent": {"spec": "m:C", "digest": ""}}, "by"),
        ({"by": "econ-env bench evaluate", "seed_commitment": "xyz", "seeds": {"c": [1]},
          "isolation": "none", "limits": {}, "agent": {"spec": "m:C", "digest": ""}},
         "seed_commitment"),
        ({"by": "econ-env bench evaluate", "seed_commitment": "0" * 64, "seeds": {"c": [-1]},
          "isolation": "none", "limits": {}, "agent": {"spec": "m:C", "digest": ""}}, "seeds"),
    ],
)  # fmt: skip
def test_a_malformed_evaluation_block_is_rejected(copy, evaluation, needle):
    """The evaluation block is `bench evaluate`'s record; anything else in its place is refused
    (it could otherwise claim a hidden-seed run it never was)."""
    _edit_json(copy, sub.METADATA, lambda m: m.update(evaluation=evaluation))
    errors = _rejected(copy, "metadata.json")
    assert any(needle in e for e in errors), errors

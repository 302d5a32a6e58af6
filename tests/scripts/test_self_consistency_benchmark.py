"""benchmarks/self_consistency.py: a tiny real run writes its JSON, more samples buy accuracy
for able drafters, and the matched-token comparison picks the k around a learner's tokens."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import self_consistency as sc  # noqa: E402
from reference_agents import _jsonable  # noqa: E402

from econ_env.regimes import regime_config  # noqa: E402


def _point(tokens: float, acc: float, lo: float, hi: float) -> dict:
    return {"generated_tokens": tokens, "accuracy": acc, "team_return": acc, "ci": [lo, hi]}


def test_compare_against_the_matched_k_and_the_frontier():
    points = {1: _point(600, 0.6, 0.55, 0.65), 2: _point(1200, 0.8, 0.75, 0.85),
              3: _point(1800, 0.85, 0.8, 0.9)}  # fmt: skip
    # matched() and interpolate() themselves: tests/baselines/test_self_consistency.py
    learner = {"team_return": 0.95, "ci": [0.93, 0.97], "generated_tokens": 1500,
               "accuracy": 0.9, "episodes": 1000}  # fmt: skip
    (row,) = sc.compare("r", points, {"mappo": learner})
    assert row["k_at"] == 2 and row["beats_at"] and row["beats_above"]
    assert row["above_frontier"] and row["accuracy_ci"][0] < 0.9 < row["accuracy_ci"][1]
    weak = {**learner, "team_return": 0.7, "ci": [0.68, 0.72], "accuracy": 0.8}
    (row,) = sc.compare("r", points, {"alpha": weak})
    assert not row["beats_at"] and not row["above_frontier"]


def test_tiny_run_writes_json_and_samples_buy_accuracy(tmp_path):
    out = tmp_path / "sc.json"
    argv = ["--regimes", "default", "--max-k", "3", "--episodes", "150", "--out", str(out)]
    assert sc.main(argv) == 0
    result = json.loads(out.read_text())["regimes"]["default"]
    points = result["self_consistency"]
    assert sorted(points) == ["1", "2", "3"]
    assert all(p["billed_tokens"] == 0 for p in points.values())  # silent: nothing billed
    assert points["3"]["generated_tokens"] > 2.5 * points["1"]["generated_tokens"]
    assert points["3"]["accuracy"] > points["1"]["accuracy"] + 0.05
    # the shipped reference table's learners are found for the default regime
    assert result["learners_from"] and {r["learner"] for r in result["comparison"]} == {
        "alpha",
        "mappo",
        "mappo_discrete",
    }


def test_reference_files_name_the_learners_and_a_missing_one_is_refused(tmp_path, capsys):
    ref = tmp_path / "ref.json"
    learner = {"team_return": 0.99, "ci": [0.98, 1.0], "generated_tokens": 2000,
               "accuracy": 0.99, "episodes": 100}  # fmt: skip
    config = _jsonable(regime_config("auction_v0", "default"))
    ref.write_text(json.dumps({"default": {"config": config, "policies": {"mappo": learner}}}))
    out = tmp_path / "sc.json"
    argv = ["--regimes", "default", "--max-k", "2", "--episodes", "40", "--out", str(out)]
    assert sc.main([*argv, "--reference", str(ref)]) == 0
    result = json.loads(out.read_text())["regimes"]["default"]
    assert result["learners_from"] == "ref.json"
    assert [r["learner"] for r in result["comparison"]] == ["mappo"]
    with pytest.raises(SystemExit) as exc:
        sc.main([*argv, "--reference", str(tmp_path / "nope.json")])
    assert exc.value.code == 2
    assert "nope.json" in capsys.readouterr().err

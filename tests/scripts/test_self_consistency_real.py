"""benchmarks/self_consistency_real.py: argument checks, the paired bootstrap summary, a tiny
simulated run, and a replay of the shipped real-model recording (no model needed) whose k = 1
episodes are the sim-to-real study's recorded ``vote (silent)`` episodes, request for request."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import self_consistency_real as scr  # noqa: E402


def test_parse_ks():
    assert scr.parse_ks("3,1,2,2") == [1, 2, 3]
    for bad in ("0,1", "65", "", "a,b"):
        with pytest.raises(ValueError, match="--ks"):
            scr.parse_ks(bad)


def test_summarise_is_paired_over_items():
    rng = np.random.default_rng(0)
    base = np.array([[0.0], [1.0], [0.0], [1.0]] * 10)
    better = base.copy()
    better[::4] = 1.0  # every fourth item flips to correct
    s = scr.summarise(better, base, rng, 500)
    assert s["accuracy"] == pytest.approx(0.75) and s["gain"] == pytest.approx(0.25)
    lo, hi = s["gain_ci"]
    assert 0.0 < lo <= 0.25 <= hi
    same = scr.summarise(base, base, rng, 200)
    assert same["gain"] == 0.0 and same["gain_ci"] == [0.0, 0.0]


def test_tiny_simulated_run_writes_its_table(tmp_path, capsys):
    assert scr.main(["--backend", "simulated", "--items", "4", "--repeats", "1", "--ks", "2",
                     "--boot", "50", "--out", str(tmp_path)]) == 0  # fmt: skip
    out = json.loads((tmp_path / scr.RESULT).read_text())
    assert [r["k"] for r in out["rows"]] == [1, 2]  # k = 1 is always played (the gains' base)
    for side in ("real", "sim"):
        assert out["rows"][1][side]["generated_tokens"] > out["rows"][0][side]["generated_tokens"]
    assert {p["label"] for p in out["recorded_policies"]} >= {"vote (silent)", "truthful"}
    assert "| k | real accuracy" in capsys.readouterr().out


def test_replaying_the_shipped_recording_needs_no_model(tmp_path):
    from econ_env.fidelity import load_episodes

    assert scr.main(["--replay", "--items", "12", "--ks", "1,3", "--repeats", "1", "--boot", "50",
                     "--out", str(tmp_path)]) == 0  # fmt: skip
    out = json.loads((tmp_path / scr.RESULT).read_text())
    recorded = load_episodes(ROOT / "docs/assets/fidelity/real_episodes.jsonl")[0]
    vote = [e.correct for e in recorded if e.label == "vote (silent)" and e.episode < 12]
    one, three = out["rows"]
    assert one["real"]["accuracy"] == pytest.approx(np.mean(vote))
    assert three["real"]["generated_tokens"] > 2.5 * one["real"]["generated_tokens"]

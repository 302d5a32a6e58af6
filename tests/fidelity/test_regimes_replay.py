"""The sim-to-real study's regime parts (split facts, message tiers) replay bit for bit from the
shipped real-model cache with no model weights; a tampered recording fails the check; bad
arguments get errors that name them."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from econ_env.fidelity import load_episodes
from econ_env.fidelity.regimes import REGIME_STUDIES, run_regime_study
from econ_env.llm.simulated import SimulatedBackend

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "docs" / "assets" / "fidelity"


def _benchmark():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(
        "sim_to_real_regimes", ROOT / "benchmarks" / "sim_to_real_regimes.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_regime_parts_replay_bit_for_bit_without_the_model(tmp_path, monkeypatch) -> None:
    import econ_env.llm.llamacpp as llamacpp

    def no_model(*a, **k):
        raise AssertionError("a replay must not load the model")

    monkeypatch.setattr(llamacpp.LlamaCppBackend, "__init__", no_model)
    out = tmp_path / "s2rr"
    rc = _benchmark().main(
        ["--replay", "--check", "--repeats", "1", "--boot", "50", "--out", str(out)]
    )
    assert rc == 0
    got, _ = load_episodes(out / "regime_episodes.jsonl")
    want, _ = load_episodes(ASSETS / "regime_episodes.jsonl")
    assert got == want
    labels = {e.label for e in got}
    assert labels == {p.label for s in REGIME_STUDIES.values() for p in s.policies}
    result = json.loads((out / "regimes.json").read_text(encoding="utf-8"))
    assert set(result["results"]) == set(REGIME_STUDIES)
    assert {"fact_weight", "tier_length", "tier_influence"} <= set(result["fit"]["fitted"])
    # the refit on the replayed completions is the shipped preset's regime fields
    shipped = json.loads((ASSETS / "regimes.json").read_text(encoding="utf-8"))
    got_p, want_p = result["fit"]["params"], shipped["fit"]["params"]
    assert got_p["fact_weight"] == pytest.approx(want_p["fact_weight"], rel=1e-6)
    for field in ("tier_length", "tier_influence"):
        assert got_p[field] == pytest.approx(want_p[field], rel=1e-6), field
    metrics = result["metrics"]
    assert "accuracy[part of the facts]" in metrics
    assert "adopted plurality[heard summary]" in metrics


def test_a_tampered_regime_recording_fails_the_check(tmp_path) -> None:
    lines = (ASSETS / "regime_episodes.jsonl").read_text(encoding="utf-8").splitlines()
    tiered = {p.label for p in REGIME_STUDIES["tiered"].policies}
    k = next(i for i, line in enumerate(lines[1:], 1) if json.loads(line)["label"] in tiered)
    row = json.loads(lines[k])
    row["generated_tokens"] += 1
    lines[k] = json.dumps(row)
    (tmp_path / "regime_episodes.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    mod = _benchmark()
    mod.ASSETS = tmp_path  # the episodes to check against; the cache stays the shipped one
    args = ["--replay", "--check", "--regimes", "tiered", "--repeats", "1", "--boot", "10"]
    rc = mod.main([*args, "--out", str(tmp_path / "o")])
    assert rc == 1


def test_bad_arguments_are_named(capsys) -> None:
    mod = _benchmark()
    assert mod.main(["--regimes", "tiered,nope", "--out", "/tmp/unused"]) == 2
    assert "--regimes must name parts of ['asymmetric', 'tiered', 'two_facts']" in (
        capsys.readouterr().err
    )
    backend = SimulatedBackend(seed=0)
    with pytest.raises(ValueError, match="unknown regime study 'nope'"):
        run_regime_study(backend, "nope")
    with pytest.raises(ValueError, match="n_items must be an int >= 1"):
        run_regime_study(backend, "tiered", n_items=0)

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
    # split facts per part: the carried parts' revisions read the facts they learned
    parts = result["facts_parts"]
    assert set(parts) == {"asymmetric", "two_facts", "asymmetric_carried", "two_facts_carried"}
    for name in parts:
        assert parts[name]["accuracy[revise, learned a fact]"]["real"][1] > 0, name


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
    err = capsys.readouterr().err
    assert "--regimes must name parts of ['asymmetric', 'asymmetric_carried', 'one_expert'," in err
    assert "'tiered', 'two_facts', 'two_facts_carried']" in err
    backend = SimulatedBackend(seed=0)
    with pytest.raises(ValueError, match="unknown regime study 'nope'"):
        run_regime_study(backend, "nope")
    with pytest.raises(ValueError, match="n_items must be an int >= 1"):
        run_regime_study(backend, "tiered", n_items=0)


def test_the_one_expert_part_routes_the_novice_seats_to_their_own_model() -> None:
    from dataclasses import replace

    from econ_env.llm.simulated import SimParams

    base = SimParams.from_preset("qwen2.5-coder-0.5b-arith")
    expert = SimulatedBackend(replace(base, skill=8.0), seed=0)
    novice = SimulatedBackend(replace(base, skill=-8.0), seed=1)
    _, traces = run_regime_study(expert, "one_expert", n_items=6, novice_backend=novice)
    # finished drafts (a simulated draft cut at its cap carries no answer)
    drafts = [
        r for v in traces.values() for r in v if r.role == "draft" and r.finish_reason == "stop"
    ]
    by_seat = {a: [r.correct for r in drafts if r.agent_index == a] for a in range(3)}
    assert REGIME_STUDIES["one_expert"].novices == (0, 1)
    assert not any(by_seat[0]) and not any(by_seat[1])  # the novice model, skill -8
    assert all(by_seat[2])  # the expert, skill +8


def test_seat_skills_come_back_from_a_known_team() -> None:
    from dataclasses import replace

    from econ_env.llm.simulated import SimParams

    base = SimParams.from_preset("qwen2.5-coder-0.5b-arith")
    true = replace(base, skill=(-3.0, -3.0, 0.0))
    _, traces = run_regime_study(SimulatedBackend(true, seed=0), "one_expert", n_items=30)
    rows = _benchmark().distinct([r for v in traces.values() for r in v])
    got = _benchmark().seat_skills(rows, base)
    assert len(got) == 3
    assert got[2] > got[0] + 1.0 and got[2] > got[1] + 1.0
    for g, t in zip(got, true.skill, strict=True):
        assert g == pytest.approx(t, abs=1.0)

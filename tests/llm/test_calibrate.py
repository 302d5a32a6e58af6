"""Tests for ``econ-env calibrate``: parameter recovery, presets, traces, CLI, a real model."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.cli import main
from econ_env.llm.calibrate import (
    auc,
    fit_sim_params,
    load_traces,
    record_traces,
    save_traces,
    simulate_report,
)
from econ_env.llm.registry import make_backend
from econ_env.llm.simulated import SimParams, SimulatedBackend, list_presets

TRUE = SimParams(
    skill=(1.2, -0.3, 0.5),
    difficulty_weight=3.0,
    temperature_effect=1.5,
    distractor_skew=1.5,
    influence=0.4,
    stickiness=0.8,
    truth_bias=0.1,
    length_mu=4.6,
    role_length_mu=(("revise", 4.0), ("answer", 4.3), ("strategy", 3.5), ("commitment", 3.0)),
    length_sigma=0.4,
    chars_per_token=3.5,
    per_message_overhead=6,
    confidence_correlation=0.7,
    logprob_offset=-0.5,
    logprob_slope=0.8,
    entropy_offset=0.2,
    entropy_slope=0.8,
    temperature_confidence=0.6,
    coordinator_skill=0.3,
    coordinator_fidelity=0.6,
    strategy_hint=0.5,
    strategy_bonus=0.8,
    follow_temperature=2.0,
)
EPISODES = 200


@pytest.fixture(scope="module")
def recovered():
    rows = record_traces(SimulatedBackend(TRUE, seed=1), task="gsm_symbolic", episodes=EPISODES)
    params, report = fit_sim_params(rows, skill_mode="per-agent")
    return rows, params, report


def test_fit_recovers_known_parameters(recovered):
    """Every identifiable field comes back from 200 episodes per game (~2,700 rows).

    Logit effects are checked against their own standard errors (within 3 SE of the truth, SE
    from the reported 95% Wald interval: about 0.13 for a skill with ~400 fresh answers per
    agent). The others use tolerances of about 3 sampling SDs at this N, measured by refitting
    8 independent seeds: influence 0.03, stickiness 0.06, truth_bias 0.04, follow_temperature
    0.4, coordinator_fidelity 0.03, coordinator_skill 0.29 (weakly identified: only commitments
    whose heard plurality is wrong inform it), strategy_bonus 0.15, distractor_skew 0.2, length
    mu 0.013-0.018 (commitment 0.064: matched on its ~1% truncation rate), sigma 0.007, rho
    0.01, offsets/slopes 0.015, temperature_confidence 0.03.
    """
    _, p, rep = recovered
    est = {e.name: e for e in rep.estimates}
    truth = {f"skill[agent {i}]": s for i, s in enumerate(TRUE.skill)}
    truth |= {"difficulty_weight": 3.0, "temperature_effect": 1.5}
    for name, value in truth.items():
        e = est[name]
        se = (e.high - e.low) / (2 * 1.96)
        assert abs(e.value - value) <= 3 * se, (name, e, value)
        assert se < 0.8, (name, se)
    assert rep.skill_mode == "per-agent" and rep.equal_skill_p < 1e-6
    assert len(p.skill) == 3 and p.skill[0] > p.skill[2] > p.skill[1]
    close = {
        "influence": 0.12,
        "stickiness": 0.18,
        "truth_bias": 0.13,
        "follow_temperature": 1.3,
        "coordinator_fidelity": 0.15,
        "coordinator_skill": 0.9,
        "strategy_hint": 0.1,
        "strategy_bonus": 0.5,
        "distractor_skew": 0.7,
        "length_mu": 0.06,
        "length_sigma": 0.04,
        "chars_per_token": 0.1,
        "confidence_correlation": 0.08,
        "logprob_offset": 0.15,
        "logprob_slope": 0.15,
        "entropy_offset": 0.15,
        "entropy_slope": 0.15,
        "temperature_confidence": 0.2,
    }
    for name, tol in close.items():
        assert abs(getattr(p, name) - getattr(TRUE, name)) <= tol, (name, getattr(p, name))
    assert p.per_message_overhead == TRUE.per_message_overhead
    mus, true_mus = dict(p.role_length_mu), dict(TRUE.role_length_mu)
    for role, mu in true_mus.items():
        tol = 0.2 if role == "commitment" else 0.08  # matched on a ~1% truncation rate
        assert abs(mus[role] - mu) <= tol, (role, mus[role], mu)
    for name in ("t_ref", "n_distractors", "top_p_focus", "repetition_shortening"):
        assert name in rep.kept and getattr(p, name) == getattr(TRUE, name)
    assert set(rep.fitted) >= {"skill", "influence", "length_sigma", "confidence_correlation"}


def test_report_real_and_simulated_columns_agree(recovered):
    rows, p, rep = recovered
    cmp = simulate_report(p, rows, task="gsm_symbolic", repeats=1, seed=5, report=rep)
    assert rep.comparison is cmp
    tolerances = {
        "accuracy": 0.05,
        "accuracy[draft]": 0.06,
        "accuracy[answer]": 0.06,
        "accuracy[commitment]": 0.08,
        "final accuracy[auction_v0]": 0.1,
        "final accuracy[debate_v0]": 0.1,
        "AUC[mean_logprob]": 0.05,
        "AUC[-mean_entropy]": 0.05,
        "adopted plurality[revise]": 0.1,
        "kept own[answer]": 0.1,
    }
    for name, tol in tolerances.items():
        real, n_real, sim, n_sim = cmp[name]
        assert n_real > 0 and n_sim > 0
        assert abs(real - sim) <= tol, (name, real, sim)
    for role in ("draft", "revise", "answer", "strategy", "commitment"):
        real, _, sim, _ = cmp[f"completion tokens[{role}]"]
        assert abs(sim - real) <= 0.1 * real, (role, real, sim)
        real, _, sim, _ = cmp[f"prompt tokens[{role}]"]
        assert abs(sim - real) <= 0.1 * real, (role, real, sim)


def test_one_model_for_every_agent_fits_one_shared_skill():
    rows = record_traces(SimulatedBackend(replace(TRUE, skill=0.4), seed=2), episodes=60)
    p, rep = fit_sim_params(rows)
    assert rep.skill_mode == "shared" and rep.equal_skill_p > 0.05
    assert isinstance(p.skill, float) and abs(p.skill - 0.4) < 0.5
    assert {e.name for e in rep.estimates} >= {"skill[agent 0]", "skill[shared]"}


# ---------------------------------------------------------------------------- presets, traces
def test_params_json_round_trip_and_unknown_field(tmp_path):
    path = tmp_path / "p.json"
    TRUE.to_json(path, metadata={"model": "x"})
    assert SimParams.from_json(path) == TRUE
    assert json.loads(path.read_text())["metadata"] == {"model": "x"}
    (tmp_path / "bare.json").write_text(json.dumps({"skill": 0.25, "length_mu": 4.0}))
    bare = SimParams.from_json(tmp_path / "bare.json")
    assert bare.skill == 0.25 and bare.influence == SimParams().influence
    (tmp_path / "bad.json").write_text(json.dumps({"params": {"skil": 1.0}}))
    with pytest.raises(ValueError, match="skil"):
        SimParams.from_json(tmp_path / "bad.json")
    (tmp_path / "range.json").write_text(json.dumps({"params": {"influence": 2.0}}))
    with pytest.raises(ValueError, match="influence"):
        SimParams.from_json(tmp_path / "range.json")
    with pytest.raises(ValueError, match="cannot read"):
        SimParams.from_json(tmp_path / "missing.json")


@settings(max_examples=40)
@given(
    skill=st.one_of(
        st.floats(-5, 5), st.lists(st.floats(-5, 5), min_size=1, max_size=6).map(tuple)
    ),
    mus=st.dictionaries(st.sampled_from(["revise", "answer", "x"]), st.floats(0, 12)),
    rho=st.floats(-1, 1),
    overhead=st.integers(0, 50),
)
def test_params_dict_round_trip_property(skill, mus, rho, overhead):
    p = SimParams(
        skill=skill,
        role_length_mu=tuple(mus.items()),
        confidence_correlation=rho,
        per_message_overhead=overhead,
    )
    assert SimParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p


@settings(max_examples=60)
@given(
    st.lists(st.tuples(st.floats(-10, 10), st.booleans()), min_size=2, max_size=40).filter(
        lambda xs: len({y for _, y in xs}) == 2
    )
)
def test_auc_is_a_rank_statistic(pairs):
    s = np.array([x for x, _ in pairs])
    y = np.array([b for _, b in pairs])
    a = auc(s, y)
    assert 0.0 <= a <= 1.0
    assert math.isclose(a + auc(-s, y), 1.0, abs_tol=1e-9)
    assert math.isclose(a, auc(3.0 * s, y), abs_tol=1e-9)  # order-preserving transform


def test_shipped_qwen_preset_loads():
    assert "qwen2.5-coder-0.5b" in list_presets()
    p = SimParams.from_preset("qwen2.5-coder-0.5b")
    assert p != SimParams()
    backend = make_backend("simulated", preset="qwen2.5-coder-0.5b")
    assert backend.params == p
    from importlib import resources

    doc = json.loads(
        (resources.files("econ_env.llm") / "presets" / "qwen2.5-coder-0.5b.json").read_text()
    )
    meta = doc["metadata"]
    assert meta["model"] == "hf:qwen2.5-coder-0.5b"
    assert meta["identity"]["model"] == "qwen2.5-coder-0.5b"
    assert len(meta["identity"]["weights_sha256"]) == 64 and len(meta["gguf_sha256"]) == 64
    assert meta["episodes"] >= 1 and meta["command"].startswith("econ-env calibrate")
    with pytest.raises(ValueError, match="unknown simulator preset 'nope'"):
        SimulatedBackend(preset="nope")
    with pytest.raises(ValueError, match="params or preset"):
        SimulatedBackend(SimParams(), preset="qwen2.5-coder-0.5b")


def test_traces_round_trip_and_bad_line(tmp_path):
    rows = record_traces(SimulatedBackend(seed=3), episodes=2, task="gsm8k")
    roles = {r.role for r in rows}
    assert roles >= {"draft", "strategy", "answer", "commitment"}
    assert {r.game for r in rows} == {"auction_v0", "debate_v0"}
    # both games play the same items, one per episode
    items = {
        g: [r.item_id for r in rows if r.game == g and r.episode == 1]
        for g in ("auction_v0", "debate_v0")
    }
    assert set(items["auction_v0"]) == set(items["debate_v0"]) and len(set(items["debate_v0"])) == 1
    path = tmp_path / "t.jsonl"
    save_traces(path, rows, {"task": "gsm8k"})
    back, meta = load_traces(path)
    assert back == rows and meta == {"task": "gsm8k"}
    path.write_text(path.read_text() + '{"game": "x", "bogus": 1}\n')
    with pytest.raises(ValueError, match=r"t\.jsonl:\d+: unknown TraceRow field"):
        load_traces(path)


class CountingBackend:
    """A simulated backend that records the size of every batch it is asked for."""

    name = "counting"

    def __init__(self) -> None:
        self.inner, self.sizes = SimulatedBackend(seed=4), []

    def generate(self, requests):
        self.sizes.append(len(requests))
        return self.inner.generate(requests)


def test_parallel_episodes_share_batches_and_give_the_same_rows():
    one, many = CountingBackend(), CountingBackend()
    a = record_traces(one, episodes=8, seed=3)
    b = record_traces(many, episodes=8, seed=3, parallel=4)
    assert a == b
    assert sum(one.sizes) == sum(many.sizes) == len(a)
    assert max(one.sizes) == 3 and max(many.sizes) > 3 and len(many.sizes) < len(one.sizes)
    with pytest.raises(ValueError, match="parallel"):
        record_traces(one, episodes=1, parallel=0)


class FailingBackend:
    name = "failing"

    def generate(self, requests):
        raise RuntimeError("backend down")


def test_a_backend_error_reaches_the_caller_from_parallel_workers():
    with pytest.raises(RuntimeError, match="backend down"):
        record_traces(FailingBackend(), episodes=3, parallel=3)


# ---------------------------------------------------------------------------- CLI
def test_cli_end_to_end_and_traces_reuse(tmp_path, capsys):
    out, report = tmp_path / "p.json", tmp_path / "r.md"
    args = ["calibrate", "--episodes", "6", "--out", str(out), "--report", str(report)]
    assert main([*args, "--repeats", "1", "-c", "max_rounds=2", "-c", "debate_v0.n_agents=2"]) == 0
    printed = capsys.readouterr().out
    assert "accuracy" in printed and "AUC[mean_logprob]" in printed
    doc = json.loads(out.read_text())
    assert doc["metadata"]["episodes"] == 6 and doc["metadata"]["model"] == "simulated"
    assert doc["metadata"]["env_kwargs"]["debate_v0"] == {"max_rounds": 2, "n_agents": 2}
    assert "accuracy" in doc["metadata"]["comparison"]
    text = report.read_text()
    assert "## Real vs simulated" in text and "| skill |" in text
    traces = tmp_path / "p.traces.jsonl"
    assert traces.is_file()
    # --traces: no model calls (an unusable backend spec is never built), the same fit
    out2 = tmp_path / "p2.json"
    refit = ["calibrate", "--traces", str(traces), "--backend", "hf:no-such-model"]
    assert main([*refit, "--out", str(out2), "--repeats", "1"]) == 0
    assert SimParams.from_json(out2) == SimParams.from_json(out)
    assert json.loads(out2.read_text())["metadata"]["model"] == "simulated"


def test_cli_rejects_bad_overrides(tmp_path, capsys):
    assert main(["calibrate", "--episodes", "1", "-c", "no_such_field=3"]) == 2
    assert "no_such_field" in capsys.readouterr().err
    assert main(["calibrate", "--episodes", "1", "-c", "chess_v0.n_agents=3"]) == 2
    assert "chess_v0" in capsys.readouterr().err
    assert main(["calibrate", "--traces", str(tmp_path / "none.jsonl")]) == 2
    assert "none.jsonl" in capsys.readouterr().err


# ---------------------------------------------------------------------------- a real model
def test_real_model_end_to_end_through_the_cache(tmp_path, capsys):
    """SmolLM2-135M plays one episode of each game through the cache; the re-run is all hits."""
    cache, out = tmp_path / "c.sqlite", tmp_path / "p.json"
    args = ["calibrate", "--backend", "hf:smollm2", "--episodes", "1", "--cache", str(cache)]
    args += ["--out", str(out), "--repeats", "1", "--backend-arg", "num_threads=1"]
    args += ["-c", "max_draft_tokens=24", "-c", "max_answer_tokens=24", "-c", "max_rounds=1"]
    args += ["-c", "strategy_cap=24", "-c", "strategy_soft_limit=20", "-c", "commitment_cap=16"]
    assert main(args) == 0
    rows, meta = load_traces(tmp_path / "p.traces.jsonl")
    assert meta["identity"] and meta["model"] == "hf:smollm2"
    assert {r.role for r in rows} >= {"draft", "strategy", "answer", "commitment"}
    for r in rows:
        assert 0 < r.completion_tokens <= r.max_tokens and r.prompt_tokens > r.n_messages
        assert r.mean_logprob <= 0 and r.mean_entropy >= 0
    # the re-run comes from the cache alone (replay mode: a miss would fail, no model is loaded)
    assert main([*args, "--cache-mode", "replay"]) == 0
    again, _ = load_traces(tmp_path / "p.traces.jsonl")
    assert again == rows
    assert SimParams.from_json(out).chars_per_token > 1.0

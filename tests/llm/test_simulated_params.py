"""The simulated backend's parameters as data: JSON round trips, unknown or out-of-range fields,
and the shipped preset fitted by ``econ-env calibrate``."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_shipped_qwen_preset_loads():
    assert "qwen2.5-coder-0.5b" in list_presets()
    p = SimParams.from_preset("qwen2.5-coder-0.5b")
    assert p != SimParams()
    backend = make_backend("simulated", preset="qwen2.5-coder-0.5b")
    assert backend.params == p
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


def test_role_confidence_correlation_overrides_rho_for_its_roles_and_round_trips():
    p = SimParams(confidence_correlation=0.3, role_confidence_correlation={"draft": 0.6})
    assert p.role_confidence_correlation == (("draft", 0.6),)
    assert p.rho_of("draft") == 0.6 and p.rho_of("answer") == 0.3 == p.rho_of("revise")
    assert SimParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    # a preset written before the field existed keeps one rho for every role
    old = {k: v for k, v in p.to_dict().items() if k != "role_confidence_correlation"}
    assert SimParams.from_dict(old).role_confidence_correlation == ()
    with pytest.raises(ValueError, match=r"role_confidence_correlation.*\[-1.0, 1.0\]"):
        SimParams(role_confidence_correlation={"draft": 1.5})
    with pytest.raises(ValueError, match=r"role_confidence_correlation.*\(role, value\)"):
        SimParams(role_confidence_correlation=(("draft",),))

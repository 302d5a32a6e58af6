"""Calibration's step 8: a known simulator's regime fields (``fact_weight``, ``tier_length``,
``tier_influence``) come back from its traces of the sim-to-real study's regime parts; a trace set
without such rows keeps them with a reason; and the other steps ignore the rows step 8 owns."""

from __future__ import annotations

from dataclasses import replace

import pytest

from econ_env.calibration import fit_sim_params
from econ_env.calibration.regime_fit import REGIME_FIELDS, fit_regime_fields
from econ_env.calibration.types import TraceRow
from econ_env.fidelity.regimes import run_regime_study
from econ_env.llm.simulated import SimParams, SimulatedBackend

BASE = SimParams.from_preset("qwen2.5-coder-0.5b-arith")


def _rows(params: SimParams, regime: str, items: int, seed: int = 0) -> list[TraceRow]:
    _, traces = run_regime_study(SimulatedBackend(params, seed=seed), regime, n_items=items)
    rows = [r for v in traces.values() for r in v]
    # one row per distinct completion, as the benchmark fits them (drafts shared by policies)
    return list({(r.episode, r.role, r.agent_index, r.tier, r.prompt_chars, r.answer): r
                 for r in rows}.values())  # fmt: skip


def test_tier_length_and_influence_come_back_from_tiered_traces() -> None:
    true = replace(
        BASE,
        tier_length=(("summary", 0.5), ("keywords", 0.2)),
        tier_influence=(("summary", 0.9), ("keywords", 0.3)),
    )
    rows = _rows(true, "tiered", 100)
    params, report = fit_regime_fields(rows, BASE)  # starts from the defaults (0.35/0.12, ...)
    lengths, influence = dict(params.tier_length), dict(params.tier_influence)
    # lengths are deterministic given the draft: moment matching is exact up to rounding
    assert lengths["summary"] == pytest.approx(0.5, abs=0.01)
    assert lengths["keywords"] == pytest.approx(0.2, abs=0.01)
    # influence from ~150 revisions per tier: seeds 0-3 gave 0.81-0.98 and 0.27-0.43
    assert influence["summary"] == pytest.approx(0.9, abs=0.2)
    assert influence["keywords"] == pytest.approx(0.3, abs=0.2)
    assert influence["summary"] > influence["keywords"]
    assert {"tier_length", "tier_influence"} <= set(report.fitted)
    assert report.kept["fact_weight"].startswith("only 0 finished fresh answers")
    # every other field is the base's
    for name, value in BASE.to_dict().items():
        if name not in REGIME_FIELDS:
            assert params.to_dict()[name] == value, name


def test_fact_weight_comes_back_from_split_facts_traces() -> None:
    true = replace(BASE, skill=2.0, difficulty_weight=1.0, fact_weight=3.0)
    rows = _rows(true, "asymmetric", 100)
    assert any(r.facts_known < 1.0 for r in rows) and any(r.learned for r in rows)
    params, report = fit_regime_fields(rows, replace(true, fact_weight=6.0))
    # seeds 0-3 gave 2.74-3.26
    assert params.fact_weight == pytest.approx(3.0, abs=0.6)
    est = next(e for e in report.estimates if e.name == "fact_weight")
    assert est.low < params.fact_weight < est.high
    assert any(n.startswith("split_facts answers with every fact") for n in report.notes)
    assert "no compressions" in report.kept["tier_length"]


def test_traces_without_regime_rows_keep_the_fields_with_reasons() -> None:
    from econ_env.fidelity import StudyConfig, run_study
    from econ_env.fidelity.study import STUDY_POLICIES

    config = StudyConfig(n_items={"auction_v0": 6})
    _, traces = run_study(SimulatedBackend(BASE, seed=0), config=config,
                          policies=STUDY_POLICIES[1:3])  # fmt: skip
    rows = [r for v in traces.values() for r in v]
    params, report = fit_regime_fields(rows, BASE)
    assert params == BASE
    assert set(REGIME_FIELDS) <= set(report.kept)
    with pytest.raises(ValueError, match="at least one trace row"):
        fit_regime_fields([], BASE)


def test_the_full_fit_leaves_compressions_and_missing_facts_to_step_8() -> None:
    """Compressions add no length role, and answers written with part of the facts do not move
    the skill: the full fit on plain + regime rows gives the plain rows' skill."""
    plain = _rows(BASE, "tiered", 8)
    plain = [r for r in plain if r.role != "compress" and not r.heard_tiers]
    facts = [r for r in _rows(BASE, "asymmetric", 8) if r.facts_known < 1.0 or r.learned]
    comp = [r for r in _rows(BASE, "tiered", 8) if r.role == "compress"]
    assert plain and facts and comp
    alone, _ = fit_sim_params(plain, skill_mode="shared")
    mixed, report = fit_sim_params([*plain, *facts, *comp], skill_mode="shared")
    assert mixed.skill == pytest.approx(alone.skill)
    assert "compress" not in dict(mixed.role_length_mu)
    assert "fact_weight" in report.fitted and "tier_length" in report.fitted


def test_trace_rows_carry_the_regime_hints() -> None:
    rows = _rows(BASE, "tiered", 3) + _rows(BASE, "asymmetric", 3)
    comp = [r for r in rows if r.role == "compress"]
    assert comp and all(r.tier in ("summary", "keywords") and r.source_tokens > 0 for r in comp)
    heard = [r for r in rows if r.heard_tiers]
    assert heard and all(len(r.heard_tiers) == len(r.heard) for r in heard)
    drafts = [r for r in rows if r.role == "draft" and r.item_id.startswith("split_facts/")]
    assert {round(r.facts_known, 3) for r in drafts} == {0.333, 1.0}  # one fact, or all alone
    row = heard[0]
    data = {**row.__dict__, "heard": list(row.heard), "heard_tiers": list(row.heard_tiers)}
    assert TraceRow.from_dict(data) == row

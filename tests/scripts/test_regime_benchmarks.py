"""benchmarks/regime_map.py and benchmarks/reference_agents.py: tiny real runs write their JSON
and figures, and what they report agrees with the games (an expert that speaks beats silence)."""

import json
import sys
import tempfile
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
torch.set_num_threads(1)

import reference_agents  # noqa: E402
import regime_map  # noqa: E402


def test_regime_map_cell_finds_the_expert_rule_and_plots(tmp_path, monkeypatch):
    monkeypatch.setattr(regime_map, "LAMBDAS", (1.0,))
    monkeypatch.setattr(regime_map, "BUDGETS", (2048,))
    out, js = tmp_path / "map.png", tmp_path / "map.json"
    argv = ["--episodes", "1024", "--panels", "one expert,one expert + tiers", "--out", str(out),
            "--json", str(js)]  # fmt: skip
    assert regime_map.main(argv) == 0
    result = json.loads(js.read_text())
    cell = result["panels"]["one expert"]["1.0/2048"]
    assert cell["best_fixed"] == "silent" and cell["best_rule"] == "seat=2"
    assert cell["margin"] > 0.1
    tiered = result["panels"]["one expert + tiers"]["1.0/2048"]
    assert "truthful_summary" in tiered["fixed"] and "seat=2/keywords" in tiered["rules"]
    assert out.stat().st_size > 10_000
    # --merge recomputes one panel and keeps the other
    monkeypatch.setattr(
        regime_map, "PANELS", {**regime_map.PANELS, "one expert": {"team": "uniform"}}
    )
    assert regime_map.main([*argv[:2], "--panels", "one expert", "--out", str(out), "--json",
                            str(js), "--merge"]) == 0  # fmt: skip
    merged = json.loads(js.read_text())["panels"]
    assert merged["one expert + tiers"] == result["panels"]["one expert + tiers"]
    assert merged["one expert"]["1.0/2048"]["best_rule"] != "seat=2" or (
        merged["one expert"]["1.0/2048"]["margin"] < 0.1
    )


def test_reference_table_trains_alpha_and_compares_in_the_text_env(tmp_path, capsys):
    js = tmp_path / "ref.json"
    argv = ["--regimes", "one_expert", "--seeds", "0", "--text-episodes", "40",
            "--alpha-updates", "12", "--num-envs", "256", "--mappo-updates", "0", "--out",
            str(js)]  # fmt: skip
    assert reference_agents.main(argv) == 0
    r = json.loads(js.read_text())["one_expert"]
    assert set(r["policies"]) == {*reference_agents.FIXED, "alpha"}
    alpha = r["policies"]["alpha"]
    assert alpha["episodes"] == 40 and len(alpha["seed_means"]) == 1
    assert alpha["ci"][0] <= alpha["team_return"] <= alpha["ci"][1]
    assert alpha["team_return"] > r["policies"]["always"]["team_return"]
    assert "WINS" in capsys.readouterr().out or not alpha["wins"]


@pytest.fixture
def played(monkeypatch):
    """The action type of the text env each policy of the reference table is played in."""
    types = []
    text_rows = reference_agents.text_rows

    def recording(config, act, episodes, seed):
        types.append(config.get("action_type", "continuous"))
        return text_rows(config, act, episodes, seed)

    monkeypatch.setattr(reference_agents, "text_rows", recording)
    return types


def test_reference_table_trains_discrete_mappo_under_its_own_name(tmp_path, monkeypatch, played):
    """``--mappo-action discrete`` trains the example's MAPPO on bid levels, plays it in a text
    env with discrete bids (the fixed policies in the regime's own) and reports it as
    ``mappo_discrete``; ``--alpha-updates 0`` skips α-REINFORCE."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the MAPPO runs write
    js = tmp_path / "ref.json"
    argv = ["--regimes", "one_expert", "--seeds", "0", "--text-episodes", "30",
            "--alpha-updates", "0", "--mappo-updates", "2", "--mappo-action", "discrete",
            "--out", str(js)]  # fmt: skip
    assert reference_agents.main(argv) == 0
    r = json.loads(js.read_text())["one_expert"]["policies"]
    assert set(r) == {*reference_agents.FIXED, "mappo_discrete"}
    assert r["mappo_discrete"]["episodes"] == 30
    assert played == ["continuous"] * len(reference_agents.FIXED) + ["discrete"]
    assert not list(scratch.iterdir())  # the MAPPO run's directory is removed
    actor = reference_agents.train_mappo_actor("t", {"n_agents": 3}, 0, 1, "discrete")
    assert actor.discrete
    with pytest.raises(ValueError, match="mappo-action"):
        reference_agents.mappo_name("beliefs")


def test_reference_table_trains_the_tianshou_mappo_on_the_text_env(tmp_path, played):
    """``--tianshou-updates N`` adds ``tianshou_mappo``: the Tianshou MAPPO trained on the text
    env with discrete bids and played there with them."""
    js = tmp_path / "ts.json"
    argv = ["--regimes", "one_expert", "--seeds", "0", "--text-episodes", "20",
            "--alpha-updates", "0", "--mappo-updates", "0", "--tianshou-updates", "1",
            "--out", str(js)]  # fmt: skip
    assert reference_agents.main(argv) == 0
    r = json.loads(js.read_text())["one_expert"]["policies"]
    assert set(r) == {*reference_agents.FIXED, "tianshou_mappo"}
    assert r["tianshou_mappo"]["episodes"] == 20 and "wins" in r["tianshou_mappo"]
    assert played == ["continuous"] * len(reference_agents.FIXED) + ["discrete"]


def test_sweep_plays_discrete_mappo_with_its_tiers(tmp_path):
    """The budget sweep trains the discrete MAPPO alone (``--alpha-updates 0``) and evaluates it
    on a batched env with discrete bids, with the share of each tier it sends."""
    js = tmp_path / "sweep.json"
    argv = ["--sweep", "budget", "--sweep-regime", "tiered", "--seeds", "0", "--alpha-updates",
            "0", "--alpha-choose-updates", "0", "--mappo-updates", "1", "--mappo-action",
            "discrete", "--eval-envs", "128", "--out", str(js)]  # fmt: skip
    assert reference_agents.main(argv) == 0
    rows = json.loads(js.read_text())["rows"]
    assert {r["policy"] for r in rows} == {*reference_agents.FIXED, "mappo_discrete"}
    for r in (r for r in rows if r["policy"] == "mappo_discrete"):
        tiers = [r[f"tier_rate_{t}"] for t in ("full", "summary", "keywords")]
        assert abs(sum(tiers) - r["speak_rate"]) < 1e-6


def test_sweep_writes_rows_and_a_figure(tmp_path, monkeypatch):
    png, js = tmp_path / "sweep.png", tmp_path / "sweep.json"
    argv = ["--sweep", "budget", "--seeds", "0", "--alpha-updates", "3", "--num-envs", "64",
            "--eval-envs", "128", "--out", str(js), "--plot", str(png)]  # fmt: skip
    assert reference_agents.main(argv) == 0
    rows = json.loads(js.read_text())["rows"]
    assert {r["policy"] for r in rows} == {*reference_agents.FIXED, "alpha"}
    assert all(0.0 <= r["speak_rate"] <= 1.0 for r in rows)
    assert png.stat().st_size > 10_000
    again = tmp_path / "again.png"
    assert reference_agents.main(["--replot", str(js), "--plot", str(again)]) == 0
    assert again.exists()

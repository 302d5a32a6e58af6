"""examples/train_econ.py end to end on a tiny run: checkpoints, TensorBoard events, evaluations."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors import safe_open

from econ_env_agents.econ import EconAgent

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "train_econ.py"


def load_example():
    spec = importlib.util.spec_from_file_location("train_econ_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_tiny_run_writes_checkpoints_events_and_prints_evaluations(tmp_path, capsys):
    example = load_example()
    args = example.parse_args(
        [
            "--regime", "flags", "--episodes", "24", "--eval-every", "12",
            "--eval-episodes", "6", "--batch-episodes", "4", "--device", "cpu", "--no-progress",
            "--constants", "2",
            "--log-dir", str(tmp_path / "runs"), "--checkpoint-dir", str(tmp_path / "ckpt"),
        ]
    )  # fmt: skip
    assert args.episodes == 24 and args.device == "cpu" and args.progress is False
    result = example.main(args)
    out = capsys.readouterr().out
    for label in ("untrained (episode 0", "during training (episode 12", "final (episode 24"):
        assert f"eval {label}, 6 fixed seeds): team_return=" in out
    assert "accuracy=" in out and "billed_tokens=" in out
    assert [e["episode"] for e in result["evaluations"]] == [0.0, 12.0, 24.0]
    events = list(Path(result["log_dir"]).glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0
    ckpt = Path(result["checkpoint"])
    ckpts = {p.name for p in ckpt.parent.glob("*.safetensors")}
    assert ckpts == {"agent_ep0.safetensors", "agent_ep12.safetensors", "agent_ep24.safetensors",
                     "agent.safetensors"}  # fmt: skip
    with safe_open(str(ckpt), framework="pt") as f:  # plain safetensors, no pickle
        assert any(k.startswith("belief_net.") for k in f.keys())  # noqa: SIM118
    agent = EconAgent.load(ckpt, device="cpu")
    assert agent.spec.n_agents == args.n_agents
    assert len(result["history"]["team_td"]) == 24 - 4 + 1  # updates once 4 episodes are stored
    # the fixed beliefs on the same 6 seeds, beside the learner's final evaluation
    comparison = result["comparison"]
    table = comparison["table"]
    named = {"neutral", "conservative", "exploratory", "truthful", "round_robin", "random"}
    constants = set(table) - named - {"econ"}
    assert named <= set(table) and len(constants) == 2
    assert all(name.startswith("const(t=") for name in constants)
    assert table["econ"]["team_return"] == pytest.approx(result["evaluations"][-1]["team_return"])
    best = comparison["best_fixed"]
    assert best != "econ" and table[best]["team_return"] == max(
        t["team_return"] for name, t in table.items() if name != "econ"
    )
    diff, half = comparison["paired_difference"]
    assert diff == pytest.approx(table["econ"]["team_return"] - table[best]["team_return"])
    assert half > 0 and comparison["wins"] == (
        table["econ"]["team_return"] - table["econ"]["ci95"]
        > table[best]["team_return"] + table[best]["ci95"]
    )
    assert "<- best fixed" in out and f"econ - {best} (paired, same seeds):" in out


def test_default_is_the_regime_where_the_learner_wins_and_flags_build_the_env():
    example = load_example()
    args = example.parse_args([])
    assert args.regime == "expert_herding" and args.compare and args.constants == 3
    from econ_env.regimes import regime_config

    assert example.env_kwargs(args) == regime_config("debate_v0", "expert_herding")
    flags = example.env_kwargs(example.parse_args(["--regime", "flags", "--cost-weight", "2"]))
    assert flags["cost_weight"] == 2.0 and flags["embedder"] == "hashed"


def test_bad_arguments_are_refused():
    example = load_example()
    with pytest.raises(SystemExit):
        example.parse_args(["--episodes", "many"])
    with pytest.raises(ValueError, match=r"--constants must lie in \[0, 20\], got 21"):
        example.main(example.parse_args(["--constants", "21", "--episodes", "1", "--no-progress"]))
    with pytest.raises(ValueError, match=r"EconConfig\.lr"):
        example.main(example.parse_args(["--lr", "2", "--episodes", "1", "--no-progress"]))


def test_help_lists_every_field_with_its_docstring():
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--help"], capture_output=True, text=True, check=True
    )
    assert "--eval-every" in proc.stdout and "evaluate (and checkpoint)" in proc.stdout
    assert "--device" in proc.stdout and "auto (CUDA when available)" in proc.stdout

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
            "--episodes", "24", "--eval-every", "12", "--eval-episodes", "6",
            "--batch-episodes", "4", "--device", "cpu", "--no-progress",
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


def test_bad_arguments_are_refused():
    example = load_example()
    with pytest.raises(SystemExit):
        example.parse_args(["--episodes", "many"])
    with pytest.raises(ValueError, match=r"EconConfig\.lr"):
        example.main(example.parse_args(["--lr", "2", "--episodes", "1", "--no-progress"]))


def test_help_lists_every_field_with_its_docstring():
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--help"], capture_output=True, text=True, check=True
    )
    assert "--eval-every" in proc.stdout and "evaluate (and checkpoint)" in proc.stdout
    assert "--device" in proc.stdout and "auto (CUDA when available)" in proc.stdout

"""examples/train_dala_tianshou.py: a tiny real run writes checkpoints, TensorBoard events and
prints evaluations with accuracy and billed/generated tokens."""

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from econ_env.cli_args import field_docs
from econ_env_agents.dala import DalaMAPPOAgent

ROOT = Path(__file__).resolve().parents[2]
torch.set_num_threads(1)


def _load():
    spec = importlib.util.spec_from_file_location(
        "train_dala_tianshou", ROOT / "examples" / "train_dala_tianshou.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("action_type", ["discrete", "continuous"])
def test_tiny_run(tmp_path, capsys, action_type):
    script = _load()
    argv = ["--agent", "mappo", "--updates", "2", "--episodes-per-update", "6", "--n-envs", "2",
            "--eval-every", "1", "--eval-episodes", "5", "--device", "cpu", "--run-dir",
            str(tmp_path), "--run-name", "tiny", "--action-type", action_type]  # fmt: skip
    assert script.main(argv) == 0
    out = capsys.readouterr().out
    for fixed in script.FIXED:  # every fixed bidder first, on the same seeds
        assert f"[eval {fixed} @ 0] accuracy" in out
    assert out.count("[eval mappo @") == 2
    assert "| best fixed (" in out  # the learner's line names the best fixed bidder
    assert "tokens billed" in out and "generated" in out
    assert "<- best fixed" in out and "  mappo " in out  # the final table
    run = tmp_path / "tiny"
    assert list(run.glob("events.out.tfevents.*"))
    ckpts = sorted((run / "checkpoints").glob("*.safetensors"))
    assert [p.name for p in ckpts] == [
        "mappo_00001.safetensors", "mappo_00002.safetensors", "mappo_final.safetensors"
    ]  # fmt: skip
    agent = DalaMAPPOAgent.load(ckpts[-1], device="cpu")
    assert agent.discrete == (action_type == "discrete")


def test_defaults_are_the_discrete_mappo_on_one_expert_and_each_agent_has_its_own():
    script = _load()
    args = script.Args()
    assert (args.agent, args.action_type, args.regime) == ("mappo", "discrete", "one_expert")
    assert (args.updates, args.episodes_per_update) == (60, 256)
    alpha = script.parse_args(["--agent", "alpha"])
    assert (alpha.action_type, alpha.updates, alpha.episodes_per_update) == ("continuous", 40, 48)
    assert script.parse_args(["--updates", "7"]).updates == 7  # an explicit value wins


def test_alpha_run_prints_the_learner_beside_the_best_fixed_bidder(tmp_path, capsys):
    script = _load()
    argv = ["--agent", "alpha", "--updates", "2", "--episodes-per-update", "8", "--eval-episodes",
            "5", "--run-dir", str(tmp_path), "--run-name", "tinyalpha"]  # fmt: skip
    assert script.main(argv) == 0
    out = capsys.readouterr().out
    assert "regime one_expert" in out and "  alpha " in out and "<- best fixed" in out
    assert (tmp_path / "tinyalpha" / "checkpoints" / "alpha_final.safetensors").exists()


def test_args_are_documented_and_validated():
    script = _load()
    docs = field_docs(script.Args)
    assert set(docs) == {f for f in script.Args.__dataclass_fields__}
    assert script.parse_args(["--device", "cpu", "--updates", "3"]).updates == 3
    with pytest.raises(ValueError, match="device"):
        script.parse_args(["--device", "tpu"])
    with pytest.raises(ValueError, match="agent"):
        script.parse_args(["--agent", "qmix"])
    with pytest.raises(ValueError, match="action_type"):
        script.parse_args(["--action-type", "binary"])
    with pytest.raises(ValueError, match="action_type 'discrete' is MAPPO's"):
        script.parse_args(["--agent", "alpha", "--action-type", "discrete"])

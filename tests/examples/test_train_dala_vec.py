"""examples/train_dala_vec.py: tiny real runs (continuous and discrete) write TensorBoard events,
safetensors weights and a summary JSON with finite numbers and the text-env evaluation; on the
``expert`` preset a short run beats every fixed baseline and bills fewer tokens than the
untrained policy."""

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest
import torch

from econ_env.cli_args import field_docs

ROOT = Path(__file__).resolve().parents[2]
torch.set_num_threads(1)


def _load():
    name = "train_dala_vec"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "train_dala_vec.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def _numbers(value):
    """Every number in a JSON value."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield value


def _tiny(tmp_path, *extra):
    return ["--num-envs", "32", "--num-steps", "4", "--updates", "2", "--eval-every", "1",
            "--eval-envs", "32", "--text-episodes", "4", "--device", "cpu", "--no-progress",
            "--run-dir", str(tmp_path), "--run-name", "tiny", *extra]  # fmt: skip


@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
def test_tiny_run_writes_everything(tmp_path, capsys, action_type):
    script = _load()
    assert script.main(_tiny(tmp_path, "--action-type", action_type, "--preset", "default")) == 0
    out = capsys.readouterr().out
    assert "text env auction_v0.parallel_env, 4 fixed-seed episodes" in out
    run = tmp_path / "tiny"
    assert list(run.glob("events.out.tfevents.*"))
    summary = json.loads((run / "summary.json").read_text())
    assert all(math.isfinite(x) for x in _numbers(summary))
    assert summary["updates"] == 2 and len(summary["history"]) == 2
    assert summary["agent_steps"] == 2 * 4 * 32 * 3
    assert summary["env_config"]["action_type"] == action_type
    vec = summary["vec_eval"]
    assert set(vec["baselines"]) == set(script.BASELINES)
    assert vec["best_baseline"] in script.BASELINES
    for m in (vec["mappo"], *vec["baselines"].values()):
        assert set(m) >= {"team_return", "accuracy", "billed_tokens"}
        assert 0.0 <= m["accuracy"] <= 1.0
    text = summary["text_eval"]
    assert text["episodes"] == 4
    assert set(text) >= {"mappo", *script.BASELINES}
    assert 0.0 <= text["mappo"]["accuracy"] <= 1.0
    # self-consistency was played on both envs up to the first k past the learner's tokens
    for env, learner in (("vec", vec["mappo"]), ("text", text["mappo"])):
        sc = summary["self_consistency"][env]
        ks = sorted(int(k) for k in sc)
        assert ks == list(range(1, len(ks) + 1))
        tokens = [sc[str(k)]["generated_tokens"] for k in ks]
        assert tokens == sorted(tokens) and all(sc[str(k)]["billed_tokens"] == 0 for k in ks)
        assert tokens[-1] > learner["generated_tokens"]  # stopped at the first k past it
        assert all(t <= learner["generated_tokens"] for t in tokens[:-1])
        assert f"{env} env self-consistency at mappo's" in out
    weights = Path(summary["weights"])
    assert weights.name.endswith(".safetensors") and weights.is_file()
    actor = script.load_actor(weights)
    assert actor.discrete == (action_type == "discrete")


def test_training_beats_fixed_baselines_and_bills_less(tmp_path):
    """On ``expert`` (one expert among two novices) 12 updates suffice to beat the best fixed
    policy on 2048 fixed-seed episodes, and the policy has learnt to keep quiet: it bills
    fewer tokens than the untrained one (everyone bids about 0.5)."""
    script = _load()
    args = script.parse_args(
        ["--preset", "expert", "--num-envs", "512", "--num-steps", "8", "--updates", "12",
         "--eval-every", "12", "--eval-envs", "2048", "--text-episodes", "0", "--device", "cpu",
         "--no-progress", "--run-dir", str(tmp_path), "--run-name", "learn"]
    )  # fmt: skip
    untrained = script.parse_args(
        ["--preset", "expert", "--num-envs", "8", "--num-steps", "1", "--updates", "1",
         "--lr", "1e-12", "--eval-envs", "2048", "--text-episodes", "0", "--device", "cpu",
         "--no-progress", "--run-dir", str(tmp_path), "--run-name", "untrained"]
    )  # fmt: skip
    before = script.train(untrained)["vec_eval"]["mappo"]
    summary = script.train(args)
    after = summary["vec_eval"]["mappo"]
    best = summary["vec_eval"]["baselines"][summary["vec_eval"]["best_baseline"]]
    assert after["team_return"] > best["team_return"] + 0.03, (after, best)  # SE ≈ 0.01
    assert after["billed_tokens"] < 0.9 * before["billed_tokens"], (after, before)


def test_args_are_documented_and_validated():
    script = _load()
    docs = field_docs(script.Args)
    assert set(docs) == set(script.Args.__dataclass_fields__)
    args = script.parse_args(
        ["--env-config", "cost_weight=2.0 max_rounds=3", "--preset", "default"]
    )
    assert script.env_config(args) == {"cost_weight": 2.0, "max_rounds": 3,
                                       "action_type": "discrete"}  # fmt: skip
    with pytest.raises(ValueError, match="device"):
        script.parse_args(["--device", "tpu"])
    with pytest.raises(ValueError, match="preset"):
        script.parse_args(["--preset", "nope"])
    with pytest.raises(ValueError, match="action_type"):
        script.parse_args(["--action-type", "beliefs"])


def test_time_to_baseline_benchmark_smoke(capsys):
    """benchmarks/time_to_baseline.py (vec MAPPO only, tiny) prints its table."""
    spec = importlib.util.spec_from_file_location(
        "time_to_baseline", ROOT / "benchmarks" / "time_to_baseline.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.beats(0.70, 0.01, 0.60, 0.01)
    assert not bench.beats(0.61, 0.01, 0.60, 0.01)
    assert not bench.beats(0.70, 0.01, 0.60, 0.01, margin=0.1)
    argv = ["--config", "expert", "--skip-tianshou", "--cap", "5", "--num-envs", "64",
            "--num-steps", "4", "--eval-envs", "256", "--text-episodes", "3"]  # fmt: skip
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    assert "median time to baseline: vec MAPPO" in out
    assert "vec MAPPO          0" in out


def test_time_to_baseline_races_both_trainers_on_discrete_bids(capsys, monkeypatch):
    """``--action-type discrete``: the vec MAPPO and the Tianshou MAPPO both train discrete bids
    (the Tianshou one with examples/train_dala_tianshou.py's settings); the fixed bidders play
    the continuous env."""
    spec = importlib.util.spec_from_file_location(
        "time_to_baseline", ROOT / "benchmarks" / "time_to_baseline.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    ex = bench.load_example()
    played = []
    evaluate_text = ex.evaluate_text

    def recording(config, act, episodes, seed):
        played.append(config.get("action_type", "continuous"))
        return evaluate_text(config, act, episodes, seed)

    monkeypatch.setattr(ex, "evaluate_text", recording)
    argv = ["--config", "one_expert", "--action-type", "discrete", "--cap", "2", "--num-envs",
            "64", "--num-steps", "4", "--eval-envs", "256", "--text-episodes", "3",
            "--tianshou-eval-every", "1"]  # fmt: skip
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    assert "vec MAPPO          0" in out and "Tianshou MAPPO     0" in out
    assert "Tianshou MAPPO" in out.split("median time to baseline:")[1]
    # Tianshou's baselines in the continuous env, then its learner (one evaluation per update
    # until the cap; how many depends on the machine's speed) in the discrete one
    n = len(ex.BASELINES)
    last_fixed = max(i for i, t in enumerate(played) if t == "continuous")
    learner = played[last_fixed + 1 :]
    assert learner and set(learner) == {"discrete"}
    assert played[last_fixed + 1 - n : last_fixed + 1] == ["continuous"] * n

"""examples/sb3_batched.py: shared PPO trained on the batched auction beats every fixed bidder in
the text env (one_expert), and the discrete MaskablePPO variant runs end to end."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from econ_env.regimes import regime_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sb3_batched.py"

TINY = ["--total-timesteps", "2000", "--num-envs", "16", "--batch-size", "256",
        "--eval-episodes", "6"]  # fmt: skip
"""A few seconds of training and evaluation: the plumbing, not the learning."""


def load_example():
    spec = importlib.util.spec_from_file_location("sb3_batched", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_default_run_beats_the_best_fixed_bidder_in_the_text_env(capsys):
    example = load_example()
    args = example.parse_args(["--eval-episodes", "300", "--self-consistency", "false"])
    assert args.game == "auction" and args.total_timesteps == 200_000
    one_expert = regime_config("auction_v0", "one_expert")
    assert example.env_config(args) == {**one_expert, "max_rounds_truncates": True}
    result = example.main(args)
    comparison = result["comparison"]
    assert set(comparison["fixed"]) == set(example.FIXED)
    assert comparison["best_fixed"] == "silent"
    # measured (seeds 0-2, 1,000 episodes): 0.727 / 0.724 / 0.727 vs silent 0.578, +0.146..0.149
    diff, half = comparison["paired_difference"]
    assert diff - half > 0.03, comparison
    learner = result["metrics"]["shared PPO"]
    assert learner["billed_tokens"] > 0 and learner["accuracy"] > 0.75  # it talks, and it pays
    assert "shared PPO - silent (paired, same seeds)" in capsys.readouterr().out


def test_maskable_variant_and_self_consistency_run_end_to_end(capsys):
    example = load_example()
    args = example.parse_args(["--maskable", "true", *TINY])
    result = example.main(args)
    assert "shared MaskablePPO" in result["metrics"]
    sc = result["self_consistency"]
    assert sc["1"]["billed_tokens"] == 0 and len(sc) >= 1
    assert "self-consistency at shared MaskablePPO's" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["true", "false"])
def test_the_round_limit_flag_reaches_the_batched_env_it_trains_on(flag):
    from econ_env.integrations.sb3_batched import make_batched_sb3_env

    example = load_example()
    config = example.env_config(example.parse_args(["--max-rounds-truncates", flag, *TINY]))
    assert config["max_rounds_truncates"] is (flag == "true")
    venv = make_batched_sb3_env("auction_v0", 4, seed=0, **config)
    venv.reset()
    quiet = np.full((venv.num_envs, *venv.action_space.shape), -1.0, dtype=np.float32)
    ended = []
    for _ in range(50):  # every bidder silent: only the round limit ends an episode
        _, _, dones, infos = venv.step(quiet)
        ended += [i for i, d in zip(infos, dones, strict=True) if d]
        if ended:
            break
    assert ended
    assert all(i["TimeLimit.truncated"] is (flag == "true") for i in ended)


def test_debate_variant_is_compared_with_every_fixed_belief():
    example = load_example()
    args = example.parse_args(["--game", "debate", *TINY])
    result = example.main(args)
    fixed = result["comparison"]["fixed"]
    named = {"neutral", "conservative", "exploratory", "truthful", "round_robin", "random"}
    constants = set(fixed) - named
    assert named <= set(fixed) and len(constants) == 3
    assert all(name.startswith("const(t=") for name in constants)
    assert "self_consistency" not in result  # an auction baseline


def test_bad_flags_are_refused_before_training():
    example = load_example()
    with pytest.raises(ValueError, match=r"--game must be one of \['auction', 'debate'\]"):
        example.main(example.parse_args(["--game", "poker"]))
    with pytest.raises(ValueError, match="--maskable needs --game auction"):
        example.main(example.parse_args(["--game", "debate", "--maskable", "true"]))
    with pytest.raises(ValueError, match="unknown regime 'nope'"):
        example.main(example.parse_args(["--regime", "nope"]))

"""The SB3 single-agent example really learns: PPO beats a random policy in the learner seat."""

import importlib.util
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sb3_single_agent.py"


def load_example():
    spec = importlib.util.spec_from_file_location("sb3_single_agent", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_ppo_beats_random_on_the_learner_return():
    example = load_example()
    result = example.main(example.Args(total_timesteps=12_000, eval_episodes=1000, seed=0))
    # fixed evaluation seeds: both policies face the same questions and co-players
    assert result["trained"] > result["random"] + 0.1

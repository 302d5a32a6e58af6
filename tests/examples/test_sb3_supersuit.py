"""SB3 + SuperSuit: the adapter's fixes (seeding, masks) and the shared-PPO example learning."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import supersuit as ss
import torch
from stable_baselines3 import PPO

from econ_env import auction_v0
from econ_env.integrations.sb3 import SB3Policy, make_sb3_vec_env

torch.set_num_threads(1)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sb3_supersuit.py"


def load_example():
    spec = importlib.util.spec_from_file_location("sb3_supersuit", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_shared_ppo_beats_random_on_team_return_beside_every_fixed_bidder(capsys):
    example = load_example()
    # a tiny run on equal bidders (the example's defaults, auction_v1 and 200,000 steps, take
    # about 2 minutes; docs/guides/other-libraries.md has their results)
    args = example.Args(
        env="auction_v0",
        maskable=False,
        total_timesteps=6000,
        n_envs=2,
        n_steps=256,
        batch_size=256,
        learning_rate=1e-3,
        eval_episodes=200,
        seed=0,
    )
    result = example.main(args)
    # fixed evaluation seeds 10_000..10_199: every policy faces the same questions
    # measured: PPO 0.539 vs random 0.404
    assert result["trained"] > result["random"] + 0.07
    comparison = result["comparison"]
    assert set(comparison["fixed"]) == set(example.FIXED)
    best = comparison["best_fixed"]
    assert comparison["fixed"][best][0] == max(m for m, _ in comparison["fixed"].values())
    # self-consistency at the learner's generated tokens: silent bidders bill nothing, and the
    # k played bracket the learner's tokens (the last k spends more, or k = 1 spends more)
    learner = result["metrics"]["shared PPO"]
    assert learner["team_return"] == pytest.approx(result["trained"])
    sc = result["self_consistency"]
    assert all(m["billed_tokens"] == 0 and m["team_return"] == m["accuracy"] for m in sc.values())
    assert max(m["generated_tokens"] for m in sc.values()) > learner["generated_tokens"]
    out = capsys.readouterr().out
    assert "<- best fixed" in out and "self-consistency at shared PPO's" in out


def test_the_example_refuses_an_env_that_is_not_an_auction():
    example = load_example()
    with pytest.raises(ValueError, match="--env must be one of"):
        example.main(example.Args(env="debate_v0"))


def test_upstream_supersuit_vec_env_cannot_be_seeded_by_ppo():
    """The defect the adapter fixes: PPO(seed=) calls env.seed(), which ConcatVecEnv lacks."""
    vec = ss.pettingzoo_env_to_vec_env_v1(auction_v0.parallel_env())
    vec = ss.concat_vec_envs_v1(vec, 1, base_class="stable_baselines3")
    with pytest.raises(AttributeError, match="seed"):
        PPO("MlpPolicy", vec, seed=0, n_steps=16, batch_size=16)


def _train(seed: int) -> np.ndarray:
    vec = make_sb3_vec_env(auction_v0.parallel_env, n_envs=2)
    model = PPO("MlpPolicy", vec, seed=seed, n_steps=32, batch_size=32, n_epochs=1)
    model.learn(192)
    return torch.nn.utils.parameters_to_vector(model.policy.parameters()).detach().numpy()


def test_ppo_seed_works_and_is_reproducible_with_the_adapter():
    a, b, c = _train(7), _train(7), _train(8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_seeded_reset_gives_each_copy_its_own_episode():
    one = make_sb3_vec_env(auction_v0.parallel_env, n_envs=3, seed=5)
    two = make_sb3_vec_env(auction_v0.parallel_env, n_envs=3, seed=5)
    other = make_sb3_vec_env(auction_v0.parallel_env, n_envs=3, seed=6)
    obs1, obs2, obs3 = one.reset(), two.reset(), other.reset()
    assert obs1.shape == (9, 24) and obs1.dtype == np.float32
    np.testing.assert_array_equal(obs1, obs2)
    assert not np.array_equal(obs1, obs3)
    # copies differ from each other (seed + i): compare the task features of bidder_0 slots
    task = auction_v0.raw_env().layout.task
    assert not np.array_equal(obs1[0, task], obs1[3, task])


def test_discrete_masks_are_split_and_respected_by_maskable_ppo():
    from sb3_contrib import MaskablePPO

    vec = make_sb3_vec_env(lambda: auction_v0.parallel_env(action_type="discrete"), 2, seed=0)
    obs = vec.reset()
    assert obs.shape == (6, 24)
    masks = vec.action_masks()
    assert masks.shape == (6, 5) and masks.dtype == bool and masks[:, 0].all()
    assert np.array_equal(np.stack(vec.env_method("action_masks")), masks)
    # invalid_action="raise" (the default): one masked action would stop training with an error
    model = MaskablePPO("MlpPolicy", vec, seed=0, n_steps=64, batch_size=64, n_epochs=1)
    model.learn(768)
    env = auction_v0.parallel_env(action_type="discrete")
    policy = SB3Policy(model)
    obs, _ = env.reset(seed=3)
    while env.agents:
        actions = {a: policy.act(obs[a], a) for a in env.agents}
        for a, level in actions.items():
            assert obs[a]["action_mask"][level] == 1
        obs, *_ = env.step(actions)


def test_keep_mode_passes_dict_observations_and_errors_name_the_argument():
    vec = make_sb3_vec_env(
        lambda: auction_v0.parallel_env(action_type="discrete"), 1, seed=0, masks="keep"
    )
    obs = vec.reset()
    assert set(obs) == {"observation", "action_mask"}
    with pytest.raises(ValueError, match="n_envs"):
        make_sb3_vec_env(auction_v0.parallel_env, 0)
    with pytest.raises(ValueError, match="masks"):
        make_sb3_vec_env(auction_v0.parallel_env, 1, masks="drop")
    with pytest.raises(ValueError, match="ParallelEnv or AECEnv"):
        make_sb3_vec_env(lambda: object(), 1)

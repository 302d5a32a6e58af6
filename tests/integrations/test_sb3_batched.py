"""econ_env.integrations.sb3_batched: a batched game as an SB3 VecEnv of (env, agent) slots."""

import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

from econ_env import vector
from econ_env.integrations.sb3_batched import BatchedSB3VecEnv, make_batched_sb3_env

torch.set_num_threads(1)


def test_slots_are_agents_of_envs_in_order_and_match_the_batched_env():
    venv = make_batched_sb3_env("auction_v0", 4, seed=3, team="one_expert")
    twin = vector.auction(num_envs=4, seed=3, team="one_expert")
    obs = venv.reset()
    ref, _ = twin.reset(seed=3)
    assert venv.num_envs == 12 and obs.shape == (12, twin.obs_dim) and obs.dtype == np.float32
    np.testing.assert_array_equal(obs, ref.reshape(12, -1).numpy())
    assert venv.observation_space == twin.observation_space
    assert venv.action_space == twin.action_space
    rng = np.random.default_rng(0)
    for _ in range(12):  # several episodes: autoreset in both
        actions = rng.uniform(-1, 1, (12, twin.act_dim)).astype(np.float32)
        obs, rewards, dones, infos = venv.step(actions)
        ref, reward, _, trunc, info = twin.step(torch.as_tensor(actions).reshape(4, 3, -1))
        np.testing.assert_array_equal(obs, ref.reshape(12, -1).numpy())
        np.testing.assert_array_equal(rewards, reward.reshape(-1).numpy())
        ended = info["done"].numpy()
        np.testing.assert_array_equal(dones, np.repeat(ended, 3))
        for k in range(12):
            env_row, agent = divmod(k, 3)
            if ended[env_row]:
                final = info["final_obs"][env_row, agent].numpy()
                np.testing.assert_array_equal(infos[k]["terminal_observation"], final)
                assert infos[k]["TimeLimit.truncated"] == bool(trunc[env_row])
                assert infos[k]["episode"] == {
                    "r": pytest.approx(float(info["episode_return"][env_row, agent])),
                    "l": int(info["episode_rounds"][env_row]),
                }
            else:
                assert infos[k] == {}
    assert dones.dtype == bool and rewards.dtype == np.float32


def test_seed_fixes_the_episodes_and_ppo_training():
    def trained(seed: int) -> np.ndarray:
        venv = make_batched_sb3_env("auction_v0", 8)
        model = PPO("MlpPolicy", venv, seed=seed, n_steps=8, batch_size=64, n_epochs=1)
        model.learn(384)
        return torch.nn.utils.parameters_to_vector(model.policy.parameters()).detach().numpy()

    a, b, c = trained(7), trained(7), trained(8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    one, two = make_batched_sb3_env("auction_v0", 4, seed=1), make_batched_sb3_env("auction_v0", 4)
    two.seed(1)
    np.testing.assert_array_equal(one.reset(), two.reset())
    other = make_batched_sb3_env("auction_v0", 4, seed=2)
    assert not np.array_equal(one.reset(), other.reset())


def test_debate_and_episode_info_reach_ppo_logging():
    venv = make_batched_sb3_env("debate_v0", 4, seed=0)
    assert venv.num_envs == 12 and venv.action_space.shape == (venv.env.act_dim,)
    model = PPO("MlpPolicy", venv, seed=0, n_steps=8, batch_size=48, n_epochs=1)
    model.learn(96)
    assert len(model.ep_info_buffer) > 0  # the "episode" infos SB3's logger reads
    assert all(np.isfinite(e["r"]) and e["l"] >= 1 for e in model.ep_info_buffer)


def test_discrete_masks_are_per_slot_and_respected_by_maskable_ppo():
    from sb3_contrib import MaskablePPO

    venv = make_batched_sb3_env("auction_v0", 4, seed=0, action_type="discrete")
    obs = venv.reset()
    assert obs.shape == (12, venv.env.obs_dim) and venv.observation_space.shape == obs.shape[1:]
    masks = venv.action_masks()
    assert masks.shape == (12, venv.env.n_actions) and masks.dtype == bool and masks[:, 0].all()
    np.testing.assert_array_equal(venv.env.action_mask().reshape(12, -1).numpy(), masks)
    np.testing.assert_array_equal(np.stack(venv.env_method("action_masks")), masks)
    assert venv.has_attr("action_masks")
    # the batched env raises on a masked action: training through it proves none was played
    model = MaskablePPO("MlpPolicy", venv, seed=0, n_steps=16, batch_size=64, n_epochs=1)
    model.learn(768)
    assert not make_batched_sb3_env("auction_v0", 2).has_attr("action_masks")


def test_bad_input_is_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="batched econ-env game"):
        BatchedSB3VecEnv(object())
    with pytest.raises(ValueError, match=r"unknown environment 'poker_v0'; one of"):
        make_batched_sb3_env("poker_v0", 2)
    venv = make_batched_sb3_env("auction_v0", 2, seed=0)
    venv.reset()
    with pytest.raises(ValueError, match=r"one row per slot \(num_envs \* n_agents = 6\)"):
        venv.step(np.zeros((5, 1), dtype=np.float32))
    with pytest.raises(RuntimeError, match="step_async"):
        venv.step_wait()
    with pytest.raises(AttributeError, match=r"set it on \.env"):
        venv.set_attr("budget", 3)
    with pytest.raises(AttributeError, match="only 'action_masks' is per slot"):
        venv.env_method("render")
    assert venv.get_attr("render_mode") == [None] * 6
    assert venv.env_is_wrapped(object, indices=[0, 1]) == [False, False]

"""The TorchRL adapter of the batched envs: TorchRL's own spec check, rollouts, partial resets,
seeding, and the multi-agent PPO of TorchRL's tutorial running on it."""

import math

import pytest
import torch
from tensordict import TensorDict
from tensordict.nn import TensorDictModule
from tensordict.nn.distributions import NormalParamExtractor
from torchrl.collectors import Collector
from torchrl.data.replay_buffers import ReplayBuffer
from torchrl.data.replay_buffers.samplers import SamplerWithoutReplacement
from torchrl.data.replay_buffers.storages import LazyTensorStorage
from torchrl.envs import RewardSum, TransformedEnv
from torchrl.envs.utils import check_env_specs, step_mdp
from torchrl.modules import MaskedCategorical, MultiAgentMLP, ProbabilisticActor, TanhNormal
from torchrl.objectives import ClipPPOLoss, ValueEstimators

import econ_env.vector as vector
from econ_env.integrations.torchrl import TorchRLVecEnv, make_torchrl_env

torch.set_num_threads(1)

NUM_ENVS = 8
CASES = {
    "auction-continuous": ("auction_v0", {}, True),
    "auction-discrete": ("auction_v0", {"action_type": "discrete"}, True),
    "auction-onehot": ("auction_v0", {"action_type": "discrete"}, False),
    "debate-continuous": ("debate_v0", {}, True),
    "debate-discrete": ("debate_v0", {"action_type": "discrete"}, True),
}


def _make(case: str, num_envs: int = NUM_ENVS, seed: int = 0) -> TorchRLVecEnv:
    name, config, categorical = CASES[case]
    return make_torchrl_env(
        name, num_envs=num_envs, seed=seed, categorical_actions=categorical, **config
    )


@pytest.fixture(scope="module")
def auction() -> TorchRLVecEnv:
    return _make("auction-continuous")


@pytest.mark.parametrize("case", list(CASES))
def test_torchrls_spec_check_passes(case):
    env = _make(case)
    check_env_specs(env, seed=1)
    check_env_specs(env, break_when_any_done="both")
    vec = env.vec_env
    assert env.batch_size == (NUM_ENVS,) and env.n_agents == vec.n_agents
    assert vec.autoreset is False  # TorchRL resets finished envs itself
    obs = env.observation_spec["agents", "observation"]
    assert obs.shape == (NUM_ENVS, vec.n_agents, vec.obs_dim) and obs.dtype == torch.float32
    assert env.observation_spec["state"].shape == (NUM_ENVS, vec.state_dim)
    assert env.full_reward_spec["agents", "reward"].shape == (NUM_ENVS, vec.n_agents, 1)
    for key in ("done", "terminated", "truncated"):
        assert env.full_done_spec[key].shape == (NUM_ENVS, 1)
    action = env.full_action_spec["agents", "action"]
    if not vec.discrete:
        assert action.shape == (NUM_ENVS, vec.n_agents, vec.act_dim)
        assert (action.space.low == -1).all() and (action.space.high == 1).all()
    elif CASES[case][2]:
        assert action.shape == (NUM_ENVS, vec.n_agents) and action.dtype == torch.int64
    else:
        assert action.shape == (NUM_ENVS, vec.n_agents, vec.n_actions)
    assert (("agents", "action_mask") in env.observation_spec.keys(True)) == vec.discrete


def test_a_rollout_carries_rewards_dones_and_episode_summaries(auction):
    env = TransformedEnv(
        auction, RewardSum(in_keys=[auction.reward_key], out_keys=[("agents", "episode_reward")])
    )
    torch.manual_seed(0)
    td = env.rollout(12, break_when_any_done=False)
    n = auction.n_agents
    assert td.batch_size == (NUM_ENVS, 12)
    nxt = td["next"]
    assert nxt["agents", "reward"].shape == (NUM_ENVS, 12, n, 1)
    torch.testing.assert_close(nxt["state"], nxt["agents", "observation"].reshape(NUM_ENVS, 12, -1))
    done = nxt["done"].squeeze(-1)
    assert done.any(), "no episode ended in 12 rounds"
    assert torch.equal(done, nxt["terminated"].squeeze(-1) | nxt["truncated"].squeeze(-1))
    # the summed rewards of every finished episode are the env's own episode return
    torch.testing.assert_close(
        nxt["agents", "episode_reward"][done].squeeze(-1),
        nxt["agents", "info", "episode_return"][done],
    )
    assert (nxt["info", "episode_rounds"][done] >= 1).all()
    assert (nxt["info", "episode_stop_code"][done] > 0).all()
    # a finished env starts afresh at the next step: round counter back to 0 after the reset
    env_i, t = (int(i) for i in torch.nonzero(done[:, :-1])[0])
    assert int(td["info", "round"][env_i, t + 1]) == 0
    assert not td["done"][env_i, t + 1].any()


def test_partial_reset_restarts_only_the_masked_envs(auction):
    torch.manual_seed(1)
    td = auction.reset()
    for _ in range(50):
        td = auction.rand_step(td)
        done = td["next", "done"].squeeze(-1)
        if done.any() and not done.all():
            break
        td = auction.reset() if done.all() else step_mdp(td)
    else:
        pytest.fail("never had some envs done and some running")
    before = step_mdp(td)
    rounds = auction.vec_env.info()["round"].clone()
    reset_in = before.clone()
    reset_in["_reset"] = done[:, None]
    out = auction.reset(reset_in)
    keep = ~done
    assert not out["done"].any()
    assert torch.equal(out["agents", "observation"][keep], before["agents", "observation"][keep])
    assert torch.equal(out["info", "round"][keep], rounds[keep])
    assert (out["info", "round"][done] == 0).all()
    assert (out["info", "episode_rounds"][done] == 0).all()
    # the vec env restarted only the masked rows: the others kept their round
    assert torch.equal(auction.vec_env.info()["round"][keep], rounds[keep])
    obs_now = auction.vec_env.state().reshape(NUM_ENVS, auction.n_agents, -1)
    assert torch.equal(out["agents", "observation"], obs_now)
    td = auction.rand_step(out)  # and the batch steps on
    assert td["next", "agents", "reward"].isfinite().all()


def test_a_finished_env_stays_done_until_it_is_reset(auction):
    torch.manual_seed(2)
    td = auction.reset()
    was_done = torch.zeros(NUM_ENVS, dtype=torch.bool)
    for _ in range(40):  # stepping without resets: finished envs stay done, with no reward
        td = auction.rand_step(td)
        done = td["next", "done"].squeeze(-1)
        assert (done >= was_done).all()
        assert (td["next", "agents", "reward"][was_done] == 0).all()
        was_done = done
        if done.all():
            break
        td = step_mdp(td)
    assert was_done.all()
    # so TorchRL's rollout until every env is done stops
    td = auction.rollout(40, break_when_any_done=False, break_when_all_done=True)
    assert td["next", "done"][:, -1].all() and td.shape[1] < 40
    # TorchRL's partial steps may skip finished envs only: the batched env steps every other
    td = auction.reset()
    td = auction.rand_action(td)
    td["_step"] = torch.arange(NUM_ENVS) > 0
    with pytest.raises(ValueError, match="partial step"):
        auction.step(td)


def test_a_seed_fixes_the_rollouts():
    def rollout(env, seed):
        env.set_seed(seed)
        torch.manual_seed(0)  # random actions come from torch's global generator
        return env.rollout(6, break_when_any_done=False)

    env_a, env_b = _make("auction-discrete", seed=3), _make("auction-discrete", seed=3)
    # the adapter's first episodes are those of the batched env built with the same seed
    raw = vector.make("auction_v0", num_envs=NUM_ENVS, seed=3, action_type="discrete")
    assert torch.equal(env_b.reset()["agents", "observation"], raw.reset()[0])
    first = rollout(env_a, 7)
    assert (first == rollout(env_b, 7)).all()
    assert (first == rollout(env_a, 7)).all()
    assert not torch.equal(
        first["next", "agents", "observation"], rollout(env_a, 8)["next", "agents", "observation"]
    )


def test_the_action_mask_follows_the_env_and_bounds_random_actions():
    env = _make("auction-discrete", seed=5)
    td = env.reset()
    torch.manual_seed(0)
    for _ in range(8):
        mask = td["agents", "action_mask"]
        assert torch.equal(mask, env.vec_env.action_mask())
        assert torch.equal(env.full_action_spec["agents", "action"].mask, mask)
        td = env.rand_action(td)
        assert mask.gather(-1, td["agents", "action"][..., None]).all()
        td = env.step_and_maybe_reset(td)[1]  # a masked action would raise (invalid_action)


def test_it_refuses_other_envs_and_devices(auction):
    with pytest.raises(TypeError, match=r"econ_env\.vector"):
        TorchRLVecEnv(object())
    with pytest.raises(ValueError, match="build the batched env"):
        auction.to("meta")
    assert auction.to("cpu") is auction


def _mappo_losses(env: TorchRLVecEnv, iterations: int = 2) -> list[float]:
    """TorchRL's "Multi-Agent Reinforcement Learning (PPO)" tutorial, shrunk: a decentralised
    shared-parameter policy, a centralised critic (MAPPO), GAE, ClipPPOLoss, a Collector."""
    torch.manual_seed(0)
    env = TransformedEnv(
        env, RewardSum(in_keys=[env.reward_key], out_keys=[("agents", "episode_reward")])
    )
    n_obs = env.observation_spec["agents", "observation"].shape[-1]
    mlp = {"n_agents": env.n_agents, "depth": 2, "num_cells": 32, "activation_class": torch.nn.Tanh}
    if env.base_env.discrete:  # a masked categorical policy over the bid levels
        n_act = env.base_env.vec_env.n_actions
        net = MultiAgentMLP(n_obs, n_act, centralised=False, share_params=True, **mlp)
        module = TensorDictModule(
            net, in_keys=[("agents", "observation")], out_keys=[("agents", "logits")]
        )
        policy = ProbabilisticActor(
            module=module,
            spec=env.action_spec_unbatched,
            in_keys={"logits": ("agents", "logits"), "mask": ("agents", "action_mask")},
            out_keys=[env.action_key],
            distribution_class=MaskedCategorical,
            return_log_prob=True,
        )
    else:
        n_act = env.full_action_spec[env.action_key].shape[-1]
        net = torch.nn.Sequential(
            MultiAgentMLP(n_obs, 2 * n_act, centralised=False, share_params=True, **mlp),
            NormalParamExtractor(),
        )
        module = TensorDictModule(
            net,
            in_keys=[("agents", "observation")],
            out_keys=[("agents", "loc"), ("agents", "scale")],
        )
        space = env.full_action_spec_unbatched[env.action_key].space
        policy = ProbabilisticActor(
            module=module,
            spec=env.action_spec_unbatched,
            in_keys=[("agents", "loc"), ("agents", "scale")],
            out_keys=[env.action_key],
            distribution_class=TanhNormal,
            distribution_kwargs={"low": space.low, "high": space.high},
            return_log_prob=True,
        )
    critic = TensorDictModule(
        MultiAgentMLP(n_obs, 1, centralised=True, share_params=True, **mlp),
        in_keys=[("agents", "observation")],
        out_keys=[("agents", "state_value")],
    )
    frames_per_batch, minibatch = env.batch_size[0] * 4, 16
    collector = Collector(
        env, policy, frames_per_batch=frames_per_batch, total_frames=iterations * frames_per_batch
    )
    buffer = ReplayBuffer(
        storage=LazyTensorStorage(frames_per_batch),
        sampler=SamplerWithoutReplacement(),
        batch_size=minibatch,
    )
    loss_module = ClipPPOLoss(
        actor_network=policy,
        critic_network=critic,
        clip_epsilon=0.2,
        entropy_coeff=1e-4,
        normalize_advantage=False,
    )
    loss_module.set_keys(
        reward=env.reward_key,
        action=env.action_key,
        value=("agents", "state_value"),
        done=("agents", "done"),
        terminated=("agents", "terminated"),
    )
    loss_module.make_value_estimator(ValueEstimators.GAE, gamma=0.99, lmbda=0.9)
    optim = torch.optim.Adam(loss_module.parameters(), 3e-4)
    losses = []
    for data in collector:
        shape = data.get_item_shape(("next", env.reward_key))
        for key in ("done", "terminated"):
            data.set(("next", "agents", key), data.get(("next", key)).unsqueeze(-1).expand(shape))
        with torch.no_grad():
            loss_module.value_estimator(
                data,
                params=loss_module.critic_network_params,
                target_params=loss_module.target_critic_network_params,
            )
        buffer.extend(data.reshape(-1))
        for _ in range(frames_per_batch // minibatch):
            out = loss_module(buffer.sample())
            loss = out["loss_objective"] + out["loss_critic"] + out["loss_entropy"]
            loss.backward()
            torch.nn.utils.clip_grad_norm_(loss_module.parameters(), 1.0)
            optim.step()
            optim.zero_grad()
        collector.update_policy_weights_()
        losses.append(loss.item())
    collector.shutdown()
    return losses


@pytest.mark.parametrize("case", ["auction-continuous", "auction-discrete", "debate-continuous"])
def test_the_tutorials_mappo_trains_on_it(case):
    losses = _mappo_losses(_make(case, num_envs=16))
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)


def test_partial_reset_input_without_reset_key_is_a_full_reset(auction):
    auction.reset()
    td = TensorDict({}, batch_size=[NUM_ENVS])
    out = auction.reset(td)
    assert (out["info", "round"] == 0).all()

"""RLlib adapter (econ_env/integrations/rllib.py) and the RLlib PPO example, on ray 2.60.

Runs only in the RLlib environment (``scripts/ci_rllib.sh`` builds ``.venv-rllib`` with
gymnasium 1.2.2 and ray 2.60.0); the main suite never collects this directory.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import ray
import torch
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
from ray.rllib.utils.pre_checks.env import check_multiagent_environments

from econ_env import auction_v0, debate_v0
from econ_env.integrations.rllib import (
    SHARED_POLICY,
    RLlibParallelEnv,
    convert_observation,
    env_creator,
    register_envs,
    shared_policy_config,
)

torch.set_num_threads(1)
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rllib_ppo.py"


def load_example():
    spec = importlib.util.spec_from_file_location("rllib_ppo", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ray_session():
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_masked_observations_are_renamed_with_a_float_mask():
    env = RLlibParallelEnv(auction_v0.parallel_env(action_type="discrete", bid_levels=6))
    obs, infos = env.reset(seed=0)
    assert set(obs) == set(env.possible_agents) and set(infos) == set(obs)
    for a, o in obs.items():
        assert set(o) == {"observations", "action_mask"}
        assert o["action_mask"].dtype == np.float32 and o["action_mask"].shape == (6,)
        assert o["observations"].dtype == np.float32
        assert env.get_observation_space(a).contains(o)
    obs, rewards, terms, truncs, _ = env.step(dict.fromkeys(env.possible_agents, 0))
    assert set(rewards) == set(env.possible_agents)
    assert "__all__" in terms and "__all__" in truncs
    for a, o in obs.items():
        assert env.get_observation_space(a).contains(o)
    check_multiagent_environments(env)


def test_continuous_observations_pass_through_and_the_env_passes_rllibs_checks():
    env = env_creator({"n_agents": 2, "belief_dim": 2})
    obs, _ = env.reset(seed=1)
    assert obs["bidder_0"].shape == (10 + 4 + 8,)
    assert env.get_action_space("bidder_1").shape == (3,)
    check_multiagent_environments(env)
    deb = env_creator({"env": "debate_v0", "n_agents": 2, "embedder": "hashed"})
    check_multiagent_environments(deb)


def test_upstream_render_is_broken_and_ours_works():
    upstream = ParallelPettingZooEnv(auction_v0.parallel_env(render_mode="ansi"))
    upstream.reset(seed=0)
    with pytest.raises(TypeError):
        upstream.render()  # calls par_env.render(self.render_mode): render() takes no argument
    env = RLlibParallelEnv(auction_v0.parallel_env(render_mode="ansi"))
    env.reset(seed=0)
    text = env.render()
    assert isinstance(text, str) and "bidder_0" in text
    assert env.render_mode == "ansi"


def test_upstream_masked_observations_do_not_fit_rllibs_masking_module():
    upstream = ParallelPettingZooEnv(auction_v0.parallel_env(action_type="discrete"))
    obs, _ = upstream.reset(seed=0)
    assert "observations" not in obs["bidder_0"]
    assert obs["bidder_0"]["action_mask"].dtype == np.int8
    assert convert_observation(obs["bidder_0"])["action_mask"].dtype == np.float32


def test_seeded_resets_are_reproducible_and_aec_envs_are_converted():
    a = RLlibParallelEnv(auction_v0.env())
    b = RLlibParallelEnv(auction_v0.parallel_env())
    oa, _ = a.reset(seed=4)
    ob, _ = b.reset(seed=4)
    for agent in oa:
        np.testing.assert_array_equal(oa[agent], ob[agent])
    with pytest.raises(ValueError, match="ParallelEnv or AECEnv"):
        RLlibParallelEnv(object())
    with pytest.raises(ValueError, match="auction_v0"):
        env_creator({"env": "chess"})
    with pytest.raises(ValueError, match="n_agents"):
        env_creator({"n_agents": 0})
    assert debate_v0  # both games are reachable through env_creator


def test_shared_policy_config_maps_every_agent_to_one_module():
    masked = shared_policy_config(env_creator({"action_type": "discrete"}))
    spec = masked["rl_module"]["rl_module_spec"].rl_module_specs[SHARED_POLICY]
    assert spec.module_class.__name__ == "ActionMaskingTorchRLModule"
    mapping = masked["multi_agent"]["policy_mapping_fn"]
    assert {mapping(a) for a in ("bidder_0", "bidder_2")} == {SHARED_POLICY}
    plain = shared_policy_config(env_creator({}))
    assert plain["rl_module"]["rl_module_spec"].rl_module_specs[SHARED_POLICY].module_class is None


def _sample_counting_to_numpy(monkeypatch, env_runners: dict) -> tuple[int, int]:
    """(to_numpy calls, episodes) of one 512-env-step sample of the shared PPO's env runner."""
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.env.multi_agent_episode import MultiAgentEpisode

    calls = []
    original = MultiAgentEpisode.to_numpy

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MultiAgentEpisode, "to_numpy", counting)
    env_config = {"env": "auction_v1"}
    shared = shared_policy_config(env_creator(env_config))
    config = (
        PPOConfig()
        .environment(register_envs(), env_config=env_config)
        .env_runners(num_env_runners=0, **env_runners)
        .multi_agent(**shared["multi_agent"])
        .rl_module(**shared["rl_module"])
        .training(train_batch_size=512, minibatch_size=128, num_epochs=1)
        .debugging(seed=0)
    )
    algo = config.build_algo()
    try:
        episodes = algo.env_runner.sample(num_timesteps=512, random_actions=True)
    finally:
        algo.stop()
    return len(calls), len(episodes)


def test_shared_policy_config_keeps_sampling_short_episodes_linear(ray_session, monkeypatch):
    """RLlib 2.60 numpy-izes every finished episode again at every env step by default."""
    shared = shared_policy_config(env_creator({"env": "auction_v1"}))
    ours, episodes = _sample_counting_to_numpy(monkeypatch, shared["env_runners"])
    upstream, upstream_episodes = _sample_counting_to_numpy(monkeypatch, {})
    assert episodes > 50 and upstream_episodes > 50  # 1- to 4-round episodes
    assert ours <= episodes
    assert upstream > 20 * upstream_episodes  # quadratic: about steps x episodes / 2


def test_shared_ppo_learns_to_beat_random(ray_session):
    example = load_example()
    # a tiny run on equal bidders (the example's defaults train on auction_v1 for 30 iterations,
    # minutes; docs/guides/other-libraries.md has their results)
    args = example.Args(
        env="auction_v0",
        iterations=3,
        train_batch_size=1024,
        minibatch_size=256,
        lr=1e-3,
        eval_episodes=200,
        seed=0,
    )
    result = example.main(args)
    # fixed evaluation seeds 10_000..10_199; measured: RLlib PPO 0.536 vs random 0.404
    assert result["trained"] > result["random"] + 0.07
    assert result["env_steps"] >= 3 * 1024
    comparison = result["comparison"]  # beside every fixed bidder on the same seeds
    assert set(comparison["fixed"]) == set(example.FIXED)
    best = comparison["best_fixed"]
    assert comparison["fixed"][best][0] == max(m for m, _ in comparison["fixed"].values())


def test_masked_ppo_never_plays_a_masked_bid(ray_session):
    """invalid_action="raise" (the default): one masked bid in sampling or evaluation raises."""
    example = load_example()
    args = example.Args(
        env="auction_v0",
        iterations=1,
        train_batch_size=256,
        minibatch_size=64,
        lr=1e-3,
        discrete=True,
        eval_episodes=30,
    )
    result = example.main(args)
    assert np.isfinite(result["trained"])


def test_env_creator_builds_the_registrys_native_parallel_env():
    import econ_env

    for name in econ_env.list_envs():
        config = {"embedder": "hashed"} if name == "debate_v0" else {}
        env = env_creator({"env": name, **config})
        assert type(env.par_env) is type(econ_env.make_parallel(name, **config))
        assert env.par_env.unwrapped.env_spec == econ_env.env_spec(name, **config)


def test_the_example_refuses_an_env_that_is_not_an_auction():
    example = load_example()
    with pytest.raises(ValueError, match="--env must be one of"):
        example.main(example.Args(env="debate_v0"))

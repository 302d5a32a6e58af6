"""Gymnasium single-agent views: exact rewards, flags, checker, registry, vector envs, pickling."""

import pickle
from typing import ClassVar

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import econ_env
from econ_env.core.rollout import play_episode
from econ_env.core.spec import EnvSpec
from econ_env.envs.observe import stop_reason_of
from econ_env_baselines import TruthfulBidder


def fixed_bid(value):
    return np.array([2 * value - 1], dtype=np.float32)


def multi_agent_learner_rewards(env, learner, seed, learner_action):
    """The learner's reward at each of its turns in the PettingZoo env (truthful co-players)."""
    others = TruthfulBidder(env.unwrapped.env_spec, seed=0)
    rewards, flags = [], []

    def observe(agent, obs, reward, term, trunc, info):
        if agent == learner:
            rewards.append(reward)
            if term or trunc:
                flags.append((term, trunc))

    def act(obs, agent):
        return learner_action if agent == learner else others.act(obs, agent)

    play_episode(env, act, seed=seed, observe=observe)
    return rewards[1:], flags[0]  # the first turn's reward belongs to no action


@pytest.mark.parametrize("learner", ["bidder_0", "bidder_1", "bidder_2"])
@pytest.mark.parametrize("stop_on_consensus", [True, False])
def test_learner_reward_equals_the_multi_agent_credit(learner, stop_on_consensus):
    cfg = {"stop_on_consensus": stop_on_consensus, "cost_weight": 0.7}
    for seed in range(4):
        expected, flags = multi_agent_learner_rewards(
            econ_env.auction_v0.env(**cfg), learner, seed, fixed_bid(0.8)
        )
        single = econ_env.single_agent(lambda: econ_env.auction_v0.env(**cfg), learner=learner)
        single.reset(seed=seed)
        got, done = [], False
        while not done:
            _, r, term, trunc, _ = single.step(fixed_bid(0.8))
            got.append(r)
            done = term or trunc
        assert got == pytest.approx(expected)
        assert (term, trunc) == flags


def test_terminated_and_truncated_stay_distinct():
    trunc_env = econ_env.single_agent(lambda: econ_env.auction_v0.env(stop_on_consensus=False))
    trunc_env.reset(seed=1)
    while True:
        _, _, term, trunc, info = trunc_env.step(fixed_bid(0.0))
        if term or trunc:
            break
    assert (term, trunc, stop_reason_of(info["stop_code"])) == (False, True, "max_rounds")
    term_env = econ_env.single_agent(lambda: econ_env.auction_v0.env(backend_kwargs={"skill": 8.0}))
    term_env.reset(seed=1)
    _, _, term, trunc, info = term_env.step(fixed_bid(1.0))
    assert (term, trunc, stop_reason_of(info["stop_code"])) == (True, False, "consensus")


@pytest.mark.parametrize(
    ("env_id", "config"),
    [
        ("econ_env/Auction-v0", {}),
        ("econ_env/Auction-v0", {"action_type": "discrete", "mechanism": "vcg", "top_k": 2}),
        ("econ_env/Debate-v0", {"embedder": "hashed"}),
        (
            "econ_env/Debate-v0",
            {"embedder": "hashed", "action_type": "discrete", "groups": 2, "n_agents": 4},
        ),
    ],
)
def test_gymnasium_checker_registry_and_seeding(env_id, config):
    env = gymnasium.make(env_id, **config)
    check_env(env.unwrapped, skip_render_check=True)
    base = env.unwrapped.env.unwrapped
    for key, value in config.items():
        assert getattr(base.config, key) == value

    def trajectory(e):
        obs, _ = e.reset(seed=5)
        e.action_space.seed(5)
        out = [obs]
        for _ in range(6):
            obs, r, term, trunc, _ = e.step(e.action_space.sample())
            out.append((obs, r, term, trunc))
            if term or trunc:
                break
        return out

    a, b = (
        trajectory(gymnasium.make(env_id, **config)),
        trajectory(gymnasium.make(env_id, **config)),
    )
    assert repr(a) == repr(b)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_envs(mode):
    vec = gymnasium.make_vec("econ_env/Auction-v0", num_envs=2, vectorization_mode=mode, n_agents=4)
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (2, econ_env.auction_v0.env(n_agents=4).unwrapped.layout.size)
    for _ in range(5):
        obs, rew, term, trunc, _ = vec.step(vec.action_space.sample())
        assert np.all(np.isfinite(rew)) and obs.shape[0] == 2
        assert not np.any(term & trunc)
    vec.close()


def test_pickles_and_other_seats_and_errors():
    env = gymnasium.make(
        "econ_env/Debate-v0", learner="executor_2", others="exploratory", embedder="hashed"
    )
    clone = pickle.loads(pickle.dumps(env.unwrapped))
    assert clone.learner == "executor_2"
    obs, _ = clone.reset(seed=0)
    assert clone.observation_space.contains(obs)
    with pytest.raises(ValueError, match="learner='nobody'"):
        gymnasium.make("econ_env/Auction-v0", learner="nobody")
    with pytest.raises(ValueError, match="bogus"):
        gymnasium.make("econ_env/Auction-v0", bogus=1)
    mixed = econ_env.single_agent(
        econ_env.auction_v0.env, others={"bidder_1": "random", "bidder_2": "silent"}
    )
    obs, _ = mixed.reset(seed=0)
    assert mixed.observation_space.contains(obs)
    with pytest.raises(ValueError, match=r"no policy for \['bidder_2'\]"):
        econ_env.single_agent(econ_env.auction_v0.env, others={"bidder_1": "random"})


class SpecOnlyCoPlayer:
    """A ``module:Class`` co-player that accepts nothing but the env's public spec."""

    built: ClassVar[list] = []

    def __init__(self, spec, seed=0):
        assert isinstance(spec, EnvSpec), f"built from {type(spec).__name__}, not an EnvSpec"
        SpecOnlyCoPlayer.built.append((spec, seed))
        self.inner = econ_env.make_policy("silent", spec, seed)

    def act(self, obs, agent):
        return self.inner.act(obs, agent)


def test_co_players_are_built_from_the_env_spec():
    SpecOnlyCoPlayer.built.clear()
    env = econ_env.single_agent(
        lambda: econ_env.make("auction_v0", n_agents=3),
        learner="bidder_1",
        others=f"{__name__}:SpecOnlyCoPlayer",
    )
    spec = econ_env.env_spec("auction_v0", n_agents=3)
    assert [(s == spec, seed) for s, seed in SpecOnlyCoPlayer.built] == [(True, 0), (True, 2)]
    env.reset(seed=0)
    env.step(fixed_bid(0.0))
    heard = env.env.unwrapped.text_info("bidder_1")["heard"]
    assert not heard  # everyone silent: the co-players are the silent bidders

    factory_calls = []

    def factory(spec, seed):
        factory_calls.append((type(spec), seed))
        return econ_env.make_policy("truthful", spec, seed)

    econ_env.single_agent(lambda: econ_env.make("auction_v0"), others=factory)
    assert factory_calls == [(EnvSpec, 1), (EnvSpec, 2)]


def test_the_default_co_player_is_the_registry_default():
    configs = {"debate_v0": {"embedder": "hashed"}}
    for name in econ_env.list_envs():
        env = econ_env.single_agent(lambda n=name: econ_env.make(n, **configs.get(n, {})))
        default = econ_env.env_info(name).default_policy
        expected = type(econ_env.make_policy(default, env.env_spec))
        assert {type(p) for p in env._others.values()} == {expected}


def test_an_unknown_co_player_names_the_registered_policies():
    with pytest.raises(ValueError, match=r"unknown policy 'nope'.*truthful"):
        econ_env.single_agent(lambda: econ_env.make("auction_v0"), others="nope")


@pytest.mark.parametrize("env_id", ["econ_env/Auction-v1", "econ_env/Debate-v0"])
def test_action_masks_for_maskable_learners(env_id):
    """``masks="split"`` hands the float32 vector and ``action_masks()`` the legal actions, the
    same mask and vector ``masks="keep"`` puts in the Dict; the split env passes the checker."""
    kw = {"action_type": "discrete", "budget": 700} | (
        {"embedder": "hashed"} if "Debate" in env_id else {}
    )
    keep = gymnasium.make(env_id, **kw)
    split = gymnasium.make(env_id, masks="split", **kw)
    assert split.observation_space == keep.observation_space["observation"]
    unmasked = {k: v for k, v in kw.items() if k != "budget"}  # the checker ignores masks
    check_env(gymnasium.make(env_id, masks="split", **unmasked).unwrapped, skip_render_check=True)
    seen_masked = False
    obs_k, _ = keep.reset(seed=4)
    obs_s, _ = split.reset(seed=4)
    for _ in range(20):
        assert np.array_equal(obs_s, obs_k["observation"]) and split.observation_space.contains(
            obs_s
        )
        mask = split.unwrapped.action_masks()
        assert mask.dtype == bool and np.array_equal(mask, obs_k["action_mask"].astype(bool))
        assert np.array_equal(keep.unwrapped.action_masks(), mask)
        seen_masked |= not mask.all()
        action = int(np.flatnonzero(mask)[-1])  # the highest legal action: spends the budget
        obs_k, _, term, trunc, _ = keep.step(action)
        obs_s, _, term_s, trunc_s, _ = split.step(action)
        assert (term, trunc) == (term_s, trunc_s)
        if term or trunc:
            obs_k, _ = keep.reset(seed=5)
            obs_s, _ = split.reset(seed=5)
    if "Auction" in env_id:
        assert seen_masked  # a tight budget masks the bids it cannot pay


def test_masks_option_errors():
    with pytest.raises(ValueError, match="masks='split' needs a masked observation"):
        gymnasium.make("econ_env/Auction-v0", masks="split")
    with pytest.raises(ValueError, match=r"masks='nope': one of 'keep', 'split'"):
        gymnasium.make("econ_env/Auction-v0", action_type="discrete", masks="nope")
    env = gymnasium.make("econ_env/Auction-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action_type='discrete'"):
        env.unwrapped.action_masks()

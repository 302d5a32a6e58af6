"""α-REINFORCE that learns which message tier to offer (``AlphaConfig(tiers="choose")``): its
tensor bids equal the text agent's, the training draws and the update are checked, checkpoints
keep the tier logits, and on ``tiered`` (one expert, full / summary / keywords) every training
seed learns that the expert should send the summary, which beats the agent that only offers the
full draft and every fixed policy in the text env."""

import math

import numpy as np
import pytest
import torch

import econ_env
import econ_env.vector as V
from econ_env.regimes import regime_config
from econ_env_agents.dala.alpha import AlphaAgent, AlphaConfig
from econ_env_agents.dala.alpha_vec import batched_bids, greedy_policy, train_alpha_vec
from econ_env_baselines.vector import evaluate
from tests.agents.test_dala_alpha_vec import text_returns

torch.set_num_threads(1)
TIERED = regime_config("auction_v0", "tiered")


def choose(**kw) -> AlphaConfig:
    return AlphaConfig(device="cpu", tiers="choose", **kw)


def test_batched_tier_bids_equal_the_text_agents():
    env = V.auction(num_envs=64, seed=1, **TIERED)
    obs, _ = env.reset(seed=1)
    agent = AlphaAgent.from_spec(env.spec, choose(min_bid=0.2))
    assert agent.choose_tier and agent.theta.shape == (3, 3)
    gen = torch.Generator().manual_seed(0)
    alphas = torch.exp(torch.randn(64, 3, generator=gen))
    tiers = torch.randint(0, 3, (64, 3), generator=gen)
    got = batched_bids(agent, obs, alphas, tiers)
    assert got.shape == (64, 3, 3)
    offered = 0
    for e in range(64):
        for i in range(3):
            want = agent.tier_bids(obs[e, i].numpy(), float(alphas[e, i]), int(tiers[e, i]))
            np.testing.assert_allclose(got[e, i].numpy(), want, atol=1e-6)
            assert np.count_nonzero(want) <= 1 and (want[int(tiers[e, i])] > 0) == (want.sum() > 0)
            offered += int(want.sum() > 0)
    assert 0 < offered < 64 * 3  # some offers, some below min_bid


def test_the_action_carries_the_bid_in_the_chosen_tiers_column():
    spec = econ_env.env_spec("auction_v0", **TIERED)
    agent = AlphaAgent.from_spec(spec, choose())
    action = agent.encode(None, np.array([0.0, 0.75, 0.0]))
    np.testing.assert_allclose(action[:3], [-1.0, 0.5, -1.0])
    with torch.no_grad():
        agent.theta[:, 2] = 1.0
    assert agent.tiers.tolist() == [2, 2, 2]


def test_config_and_draws_are_validated():
    spec = econ_env.env_spec("auction_v0", **TIERED)
    with pytest.raises(ValueError, match=r"AlphaConfig.tiers must be one of \('first', 'choose'\)"):
        AlphaConfig(tiers="each")
    discrete = econ_env.env_spec("auction_v0", **TIERED, action_type="discrete")
    with pytest.raises(ValueError, match="tiers='choose' needs continuous actions"):
        AlphaAgent.from_spec(discrete, choose())
    agent = AlphaAgent.from_spec(spec, choose(seed=3))
    x, tiers = agent.sample_log_alphas(8), agent.sample_tiers(8)
    assert tiers.shape == (8, 3) and tiers.dtype == torch.long
    assert torch.equal(tiers[:4], tiers[4:])  # an antithetic pair shares its tiers
    with pytest.raises(ValueError, match="needs the episodes' tier draws"):
        agent.update(x, torch.zeros(8, 3))
    with pytest.raises(ValueError, match=r"values in \[0, 3\)"):
        agent.update(x, torch.zeros(8, 3), torch.full((8, 3), 3))
    # without tiers "choose" is the single-offer bidder and draws nothing for tiers
    plain = AlphaAgent.from_spec(econ_env.env_spec("auction_v0"), choose(seed=3))
    assert not plain.choose_tier and plain.sample_tiers(4).eq(0).all()


def test_the_update_moves_the_logits_toward_the_tier_that_paid():
    spec = econ_env.env_spec("auction_v0", **TIERED)
    agent = AlphaAgent.from_spec(spec, choose(seed=0, lr=0.5))
    for _ in range(5):
        x, tiers = agent.sample_log_alphas(64), agent.sample_tiers(64)
        returns = (tiers == 1).float()  # only the summary pays, for every agent
        agent.update(x, returns, tiers)
    assert agent.tiers.tolist() == [1, 1, 1]
    assert (agent.tier_probs[:, 1] > 0.5).all()


def test_checkpoints_keep_the_tier_logits(tmp_path):
    spec = econ_env.env_spec("auction_v0", **TIERED)
    agent = AlphaAgent.from_spec(spec, choose())
    with torch.no_grad():
        agent.theta.copy_(torch.tensor([[0.0, 2.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
    loaded = AlphaAgent.load(agent.save(tmp_path / "a.safetensors"), device="cpu")
    assert loaded.choose_tier and loaded.tiers.tolist() == [1, 0, 2]
    np.testing.assert_allclose(loaded.tier_probs, agent.tier_probs)


def test_every_seed_learns_to_send_the_summary_and_it_pays():
    """120 updates of 512 batched episodes per seed (the full draft leads for the first ~50
    updates, then the summary takes over): the expert (bidder_2) picks the summary in every
    seed; on 300 fixed text-env seeds the learner beats the full-draft α bidder and the
    best fixed policy (silence) with non-overlapping 95% CIs of the paired differences."""
    ev = V.auction(num_envs=2048, seed=9, item_pool=4096, **TIERED)
    agents = []
    for seed in (0, 1, 2):
        env = V.auction(num_envs=512, seed=seed, item_pool=4096, **TIERED)
        agent, _ = train_alpha_vec(env, config=choose(seed=seed), updates=120, seed=1000 * seed)
        assert agent.tiers[2] == 1, (seed, agent.tier_probs)  # the expert sends the summary
        m = evaluate(ev, greedy_policy(agent, ev), 9)
        assert m["tier_rate_summary"] > 0.15 and m["tier_rate_full"] < 0.01, m
        agents.append(agent)
    env = V.auction(num_envs=512, seed=0, item_pool=4096, **TIERED)
    first, _ = train_alpha_vec(env, config=AlphaConfig(device="cpu", seed=0), updates=40)
    seeds = range(60_000, 60_300)
    learner = text_returns(TIERED, agents[0].act, seeds)
    spec = econ_env.env_spec("auction_v0", **TIERED)
    for name, act in (("alpha first tier", first.act),
                      ("silent", econ_env.make_policy("silent", spec, 0).act)):  # fmt: skip
        diff = learner - text_returns(TIERED, act, seeds)
        half = 1.96 * diff.std(ddof=1) / math.sqrt(len(diff))
        print(f"choose - {name}: {diff.mean():+.3f} ± {half:.3f}")
        assert diff.mean() - half > 0, (name, diff.mean(), half)

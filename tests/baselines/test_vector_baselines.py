"""The batched bidders (baselines/vector.py) play what the text bidders play, and the rules read
the state as documented."""

import numpy as np
import pytest
import torch

import econ_env
import econ_env.vector as V
from econ_env_baselines.vector import FIXED, BatchedBidders, evaluate

torch.set_num_threads(1)


def observations(action_type: str = "continuous", n: int = 256) -> tuple:
    env = V.auction(num_envs=n, seed=3, action_type=action_type)
    obs, _ = env.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(2):  # some rounds in, so prices, rounds and masks vary
        bids = torch.as_tensor(
            rng.uniform(-1, 1, (n, env.n_agents, env.act_dim)), dtype=torch.float32
        )
        if env.discrete:
            bids = torch.zeros(n, env.n_agents, dtype=torch.long)
        obs, *_ = env.step(bids)
    return env, obs, env.action_mask()


@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
@pytest.mark.parametrize("name", ["silent", "truthful", "always", "round_robin"])
def test_batched_fixed_policies_act_like_the_text_policies(name, action_type):
    env, obs, mask = observations(action_type)
    batched = BatchedBidders(env, seed=0).fixed(name)(obs, mask)
    text = econ_env.make_policy(name, econ_env.env_spec("auction_v0", action_type=action_type))
    for e in range(0, env.num_envs, 17):
        for i, agent in enumerate(env.agents):
            vec = obs[e, i].numpy()
            o = (
                {"observation": vec, "action_mask": mask[e, i].numpy().astype(np.int8)}
                if (mask is not None)
                else vec
            )
            want = text.act(o, agent)
            got = batched[e, i].numpy()
            np.testing.assert_allclose(got, want, atol=1e-6, err_msg=f"{name} env {e} {agent}")


def test_disagree_rule_bids_only_while_the_drafts_disagree():
    env, obs, mask = observations()
    b = BatchedBidders(env, seed=0)
    act = b.rule("disagree")(obs, mask)
    bid = (act[..., 0] + 1) / 2
    disagree = b.field(obs, "distinct_answers") > 1 / env.n_agents + 1e-6
    affordable = b.field(obs, "affordable") > 0.5
    assert torch.all(bid[~(disagree & affordable)] == 0)
    both = disagree & affordable
    assert both.any()
    torch.testing.assert_close(bid[both], b.field(obs, "confidence")[both])
    hard = (b.rule("disagree@0.6")(obs, mask)[..., 0] + 1) / 2
    assert set(hard.unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="θ must be in"):
        b.rule("disagree@1.5")
    with pytest.raises(ValueError, match="unknown rule"):
        b.rule("loud")
    with pytest.raises(ValueError, match="unknown fixed policy"):
        b.fixed("loud")


def test_evaluate_reports_silence_as_free_and_speaking_as_billed():
    env = V.auction(num_envs=512, seed=0)
    b = BatchedBidders(env, seed=0)
    silent = evaluate(env, b.fixed("silent"), 5)
    always = evaluate(env, b.fixed("always"), 5)
    assert silent["billed_tokens"] == 0 and silent["speak_rate"] == 0
    assert silent["team_return"] == pytest.approx(silent["accuracy"])
    assert always["billed_tokens"] > 0 and always["speak_rate"] > 0
    assert always["generated_tokens"] >= always["billed_tokens"]
    assert set(FIXED) == {"silent", "truthful", "always", "round_robin", "random"}


def test_evaluate_reports_which_tier_was_sent():
    plain = evaluate(
        V.auction(num_envs=64, seed=0), BatchedBidders(V.auction(num_envs=64), 0).fixed("always"), 3
    )
    assert not any(k.startswith("tier_rate_") for k in plain)
    env = V.auction(num_envs=256, seed=0, tiers=("full", "summary", "keywords"))
    res = evaluate(env, BatchedBidders(env, seed=0).fixed("always"), 5)
    rates = [res[f"tier_rate_{t}"] for t in ("full", "summary", "keywords")]
    assert res["speak_rate"] > 0 and all(0.0 <= r <= 1.0 for r in rates)
    assert sum(rates) == pytest.approx(res["speak_rate"], abs=1e-5)
    assert res["tier_rate_full"] == pytest.approx(res["speak_rate"])  # bids go to tier 0
    summary = evaluate(env, BatchedBidders(env, seed=0, tier=1).fixed("always"), 5)
    assert summary["speak_rate"] > 0
    assert summary["tier_rate_summary"] == pytest.approx(summary["speak_rate"])
    assert summary["tier_rate_full"] == summary["tier_rate_keywords"] == 0.0
    quiet = evaluate(env, BatchedBidders(env, seed=0).fixed("silent"), 5)
    assert all(quiet[f"tier_rate_{t}"] == 0.0 for t in ("full", "summary", "keywords"))

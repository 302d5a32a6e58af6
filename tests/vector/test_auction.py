"""The batched auction_v0 (econ_env.vector): API, spaces, invariants, errors, seeding, resets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import econ_env
from econ_env.envs.observe import STOP_REASONS
from econ_env.vector import auction, make

torch.set_num_threads(1)

POOL = {"item_pool": 64}


def rollout(env, steps: int, seed: int = 0, reset_seed: int | None = 0):
    """Random valid actions (drawn with ``seed``) for ``steps`` steps after
    ``reset(seed=reset_seed)``; yields (obs, reward, term, trunc, info)."""
    g = torch.Generator().manual_seed(seed)
    obs, info = env.reset(seed=reset_seed)
    yield obs, None, None, None, info
    for _ in range(steps):
        if env.discrete:
            mask = info["action_mask"].float()
            a = torch.multinomial(mask.reshape(-1, env.n_actions), 1, generator=g)
            a = a.reshape(env.num_envs, env.n_agents)
        else:
            a = torch.rand(env.num_envs, env.n_agents, env.act_dim, generator=g) * 2 - 1
        obs, reward, term, trunc, info = env.step(a)
        yield obs, reward, term, trunc, info


@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
def test_spaces_and_layout_match_the_text_env(action_type):
    env = auction(num_envs=4, seed=0, action_type=action_type, **POOL)
    text = econ_env.auction_v0.parallel_env(action_type=action_type)
    assert env.observation_space == text.observation_space("bidder_0")
    assert env.action_space == text.action_space("bidder_0")
    assert env.agents == text.possible_agents
    obs, info = env.reset(seed=0)
    assert obs.shape == (4, 3, env.obs_dim) and obs.dtype == torch.float32
    assert env.state().shape == (4, env.state_dim)
    assert torch.equal(env.state()[:, : env.obs_dim], obs[:, 0])
    assert ("action_mask" in info) == (action_type == "discrete")


def test_observations_lie_in_the_space_and_the_id_and_task_fields_are_right():
    env = auction(num_envs=16, seed=3, **POOL)
    lay = env.spec.layout
    space = env.observation_space
    for obs, *_ in rollout(env, 12):
        rows = obs.reshape(-1, env.obs_dim).numpy()
        assert all(space.contains(r) for r in rows)
        ids = obs[..., lay.slice("agent_id")]
        assert torch.equal(ids, torch.eye(3).expand(16, 3, 3))
        feats = env.table.features[env.item]
        assert torch.equal(obs[:, 1, lay.slice("task")], feats)


CONFIGS = st.fixed_dictionaries(
    {
        "n_agents": st.integers(1, 5),
        "mechanism": st.sampled_from(["first_price", "second_price", "top_k", "softmax", "vcg"]),
        "budget": st.integers(1, 3000),
        "max_rounds": st.integers(1, 5),
        "round_cap": st.one_of(st.none(), st.integers(1, 600)),
        "action_type": st.sampled_from(["continuous", "discrete"]),
        "answer_rule": st.sampled_from(["majority", "last_speaker", "confidence"]),
        "reward_mode": st.sampled_from(["team", "individual"]),
        "reserve": st.sampled_from([0.0, 0.3]),
        "stop_on_consensus": st.booleans(),
        "max_draft_tokens": st.integers(8, 300),
    }
)


@settings(max_examples=40, deadline=None)
@given(CONFIGS, st.integers(0, 2**16))
def test_invariants_hold_under_random_configs_and_actions(config, seed):
    if config["mechanism"] != "second_price":
        config["top_k"] = min(2, config["n_agents"])
    env = auction(num_envs=8, seed=seed, invalid_action="raise", **POOL, **config)
    budget, n = config["budget"], config["n_agents"]
    for obs, reward, _, _, info in rollout(env, 8, seed, seed):
        assert torch.isfinite(obs).all() and (obs >= 0).all() and (obs <= 1).all()
        billed, generated = info["billed_tokens"], info["generated_tokens"]
        assert (billed <= budget).all() and (info["remaining_budget"] >= 0).all()
        assert (billed <= generated).all()
        assert torch.equal(info["agent_billed_tokens"].sum(1), billed)
        assert torch.equal(info["agent_generated_tokens"].sum(1), generated)
        if reward is not None:
            assert torch.isfinite(reward).all()
            done = info["done"]
            assert (info["episode_rounds"][done] <= config["max_rounds"]).all()
            assert (info["episode_stop_code"][done] >= 1).all()
            assert (info["episode_stop_code"][done] <= len(STOP_REASONS)).all()
            if config["reward_mode"] == "team":
                assert (reward <= 1.0).all()
                assert torch.allclose(reward, reward[:, :1].expand(-1, n))


def test_invalid_actions_name_the_env_and_agent_and_change_nothing():
    env = auction(num_envs=5, seed=0, action_type="discrete", **POOL)
    obs, _ = env.reset(seed=0)
    before = {k: v.clone() for k, v in env.info().items()}
    good = torch.zeros(5, 3, dtype=torch.int64)
    bad = good.clone()
    bad[3, 2] = 7
    with pytest.raises(ValueError, match=r"env 3, bidder_2: action 7 is out of range \[0, 4\]"):
        env.step(bad)
    with pytest.raises(ValueError, match=r"shape \(num_envs=5, n_agents=3\)"):
        env.step(torch.zeros(5, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="env 0, bidder_0: action must be an int"):
        env.step(torch.full((5, 3), 0.5))
    after = env.info()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert torch.equal(env._obs, obs)
    cont = auction(num_envs=3, seed=0, **POOL)
    cont.reset(seed=0)
    nan = torch.zeros(3, 3, 1)
    nan[1, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="env 1, bidder_0: action must be finite"):
        cont.step(nan)


def test_a_masked_bid_raises_or_is_silence_as_configured():
    env = auction(num_envs=64, seed=0, action_type="discrete", budget=150, **POOL)
    _, info = env.reset(seed=0)
    masked = ~info["action_mask"][..., 1]
    assert masked.any(), "a budget of 150 leaves some drafts unaffordable"
    env_i, agent_i = (int(x) for x in torch.nonzero(masked)[0])
    bids = torch.zeros(64, 3, dtype=torch.int64)
    bids[env_i, agent_i] = 4
    with pytest.raises(ValueError, match=f"env {env_i}, bidder_{agent_i}: action 4 is masked"):
        env.step(bids)
    quiet = auction(
        num_envs=64, seed=0, action_type="discrete", budget=150, invalid_action="silence", **POOL
    )
    quiet.reset(seed=0)
    _, _, _, _, info = quiet.step(bids)
    assert info["agent_billed_tokens"][env_i, agent_i] == 0


def test_same_seed_same_episodes_other_seed_other_episodes():
    def run(seed):
        env = auction(num_envs=32, seed=seed, **POOL)
        out = [obs.clone() for obs, *_ in rollout(env, 6, seed=1, reset_seed=None)]
        return torch.stack(out)

    assert torch.equal(run(5), run(5))
    assert not torch.equal(run(5), run(6))


def test_autoreset_starts_new_episodes_and_reports_the_finished_ones():
    env = auction(num_envs=256, seed=0, **POOL)
    env.reset(seed=0)
    silent = -torch.ones(256, 3, 1)  # bid 0: nobody speaks, the episode runs to max_rounds
    for _ in range(4):
        obs, _, term, trunc, info = env.step(silent)
        ended = info["done"]
        assert torch.equal(ended, term | trunc)
    assert ended.any()
    assert (info["episode_rounds"][ended] >= 1).all()
    lay = env.spec.layout
    assert (obs[ended][..., lay.slice("round")] == 0).all()  # a new episode's first observation
    assert (info["final_obs"][ended][..., lay.slice("round")] > 0).all()
    correct = info["episode_correct"][ended].float()
    assert torch.allclose(info["episode_return"][ended][:, 0], correct.double())  # silence is free


def test_without_autoreset_finished_envs_stay_finished_until_reset_envs():
    env = auction(num_envs=64, seed=0, max_rounds=1, **POOL)
    env.autoreset = False
    env.reset(seed=0)
    _, _, term, trunc, _ = env.step(-torch.ones(64, 3, 1))
    assert (term | trunc).all() and env.done.all()
    _, reward, term, trunc, info = env.step(torch.ones(64, 3, 1))
    assert (reward == 0).all() and not (term | trunc).any()
    assert (info["billed_tokens"] == 0).all()
    mask = torch.zeros(64, dtype=torch.bool)
    mask[:10] = True
    env.reset_envs(mask)
    assert torch.equal(~env.done, mask)


def test_max_rounds_is_a_truncation_and_consensus_a_termination():
    env = auction(num_envs=512, seed=0, max_rounds=2, **POOL)
    env.reset(seed=0)
    codes = []
    for _ in range(2):
        _, _, term, trunc, info = env.step(torch.ones(512, 3, 1))
        done = info["done"]
        code = info["episode_stop_code"]
        assert torch.equal(trunc, done & (code == 1 + STOP_REASONS.index("max_rounds")))
        assert torch.equal(term, done & (code != 1 + STOP_REASONS.index("max_rounds")))
        codes.append(code[done])
    seen = {STOP_REASONS[int(c) - 1] for c in torch.cat(codes)}
    assert {"consensus", "max_rounds"} <= seen


def test_individual_rewards_are_minus_payments_plus_credit_for_voicing_the_answer():
    env = auction(num_envs=256, seed=0, reward_mode="individual", mechanism="first_price", **POOL)
    env.reset(seed=0)
    bids = torch.zeros(256, 3, 1)  # bids of 0.5 each: the winner pays 0.5
    _, reward, _, _, info = env.step(bids)
    won = info["spoke"]
    done = info["done"]
    base = torch.where(won, -0.5, 0.0)
    extra = reward - base
    assert torch.allclose(extra[~done], torch.zeros_like(extra[~done]))
    assert set(extra[done].unique().tolist()) <= {0.0, 1.0}
    assert (extra[done] == 1.0).any()


def test_make_and_registry_build_the_same_env():
    a = make("auction_v0", num_envs=4, seed=2, **POOL)
    b = econ_env.make_vector("auction_v0", num_envs=4, seed=2, **POOL)
    assert torch.equal(a.reset()[0], b.reset()[0])
    with pytest.raises(ValueError, match="unknown environment"):
        make("nope_v0")
    with pytest.raises(ValueError, match="simulated backend"):
        auction(num_envs=2, backend="openai", backend_kwargs={"base_url": "http://x"})
    with pytest.raises(ValueError, match="num_envs"):
        auction(num_envs=0)
    with pytest.raises(ValueError, match="mechanism"):
        auction(num_envs=2, mechanism="dutch")


def test_belief_dims_set_the_generation_temperature():
    hot = auction(num_envs=4096, seed=0, belief_dim=1, **POOL)
    cold = auction(num_envs=4096, seed=0, belief_dim=1, **POOL)
    for env, t in ((hot, 1.0), (cold, -1.0)):
        env.autoreset = False  # keep the revised drafts of finished episodes to look at
        env.reset(seed=0)
        a = torch.zeros(4096, 3, 2)
        a[..., 0] = 1.0  # everyone bids 1: one broadcast, the others revise at temperature t
        a[..., 1] = t
        env.step(a)
    assert torch.allclose(hot.temp, torch.full_like(hot.temp, 1.3))
    assert torch.allclose(cold.temp, torch.full_like(cold.temp, 0.1))
    # hot revisions are less confident (the simulated temperature_confidence effect)
    conf = [float(e.logprob.mean()) for e in (hot, cold)]
    assert conf[0] < conf[1] - 0.1


def test_numpy_actions_and_a_single_bid_dimension_without_the_last_axis_are_accepted():
    env = auction(num_envs=3, seed=0, **POOL)
    env.reset(seed=0)
    obs, *_ = env.step(np.zeros((3, 3), dtype=np.float32))
    assert obs.shape == (3, 3, env.obs_dim)


@pytest.mark.parametrize("rho", [0.9, -0.9])
def test_drafts_confidence_follows_the_draft_rho(rho):
    """The batched drafts draw their signal with ``SimParams.rho_of("draft")``, like the text
    backend: a draft rho of +-0.9 over a shared rho of 0 sets the sign of the correlation."""
    env = auction(
        num_envs=2048,
        seed=3,
        backend_kwargs={
            "confidence_correlation": 0.0,
            "role_confidence_correlation": {"draft": rho},
        },
        **POOL,
    )
    env.reset(seed=3)
    t = env.table
    ok = t.cell(t.correct, env.item[:, None], env.answer.clamp(min=0)) & (env.answer >= 0)
    corr = np.corrcoef(env.logprob.reshape(-1).numpy(), ok.reshape(-1).double().numpy())[0, 1]
    assert corr * np.sign(rho) > 0.5, corr

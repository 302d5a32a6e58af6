"""The batched debate_v0 (:class:`econ_env.vector.debate_env.VecDebateEnv`) against its rules
and against the text env.

The statistical-equivalence tests play the registered fixed policies ``neutral``,
``conservative``, ``exploratory`` and ``random`` for 2,000 episodes in the text env (built with
``embedder="answer"``, whose AL / CC the batched env reproduces) and in the batched env, with
the default simulated backend and with the ``qwen2.5-coder-0.5b`` preset, plus a hierarchical
config (``groups=2``) with ``random`` and, with ``neutral``, issue 14's regimes (split facts
and a ``spread`` team). Each comparison makes :data:`CHECKS_PER_COMPARISON`
checks (:func:`econ_env.testing.equivalence.compare`); every check runs at the Bonferroni
level ``alpha = 0.01 / N_CHECKS`` with ``N_CHECKS`` all the checks in this file, so correct
implementations fail this file with probability at most 1%.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import econ_env.vector as V
from econ_env.envs.debate.env import parallel_env
from econ_env.envs.observe import stop_code
from econ_env.policies import make_policy
from econ_env.registry import env_spec
from econ_env.testing.equivalence import compare, episode_samples

torch.set_num_threads(1)

POLICIES = ("neutral", "conservative", "exploratory", "random")
BACKENDS = ({}, {"backend_kwargs": {"preset": "qwen2.5-coder-0.5b"}})
GROUPED = {"n_agents": 4, "groups": 2}
# issue 14, with the neutral policy; carry_facts lists the facts read in the prompts
REGIMES = (
    {"task": "split_facts"},
    {"team": "spread"},
    {"task": "split_facts", "carry_facts": True},
)
EPISODES = 2000
CHECKS_PER_COMPARISON = 9
N_COMPARISONS = len(POLICIES) * len(BACKENDS) + 1 + len(REGIMES)
N_CHECKS = CHECKS_PER_COMPARISON * N_COMPARISONS
ALPHA = 0.01 / N_CHECKS
POOL = 256  # item pool of the rule tests (building the default 2,048-item pool takes seconds)


def _random_actions(env: V.VecEnvBase, gen: torch.Generator) -> torch.Tensor:
    b, n = env.num_envs, env.n_agents
    if env.discrete:
        return torch.randint(env.n_actions, (b, n), generator=gen)
    return torch.rand(b, n, env.act_dim, generator=gen) * 2.0 - 1.0


def _rows(obs: torch.Tensor, mask: torch.Tensor | None, env: V.VecEnvBase) -> list:
    out = []
    for b in range(env.num_envs):
        for i in range(env.n_agents):
            row = obs[b, i].numpy()
            if mask is not None:
                row = {"observation": row, "action_mask": mask[b, i].numpy().astype(np.int8)}
            out.append(row)
    return out


class _EchoBackend:
    """A backend that is not the simulated one (the batched env refuses it)."""

    name = "echo"

    def generate(self, requests: list) -> list:
        raise AssertionError("never called")


# ---------------------------------------------------------------------- spaces and layout
@pytest.mark.parametrize(
    "config",
    [
        {},
        {"action_type": "discrete"},
        {"n_agents": 5, "groups": 2, "belief_dim": 2},
        {"n_agents": 1, "belief_dim": 1},
    ],
)
def test_spaces_and_layout_match_the_text_env(config: dict) -> None:
    env = V.debate(item_pool=POOL, num_envs=4, seed=0, **config)
    text = parallel_env(**config)
    agent = text.possible_agents[0]
    assert env.agents == list(text.possible_agents)
    assert env.observation_space == text.observation_space(agent)
    assert env.action_space == text.action_space(agent)
    spec = env_spec("debate_v0", **config)
    assert env.spec.layout.names == spec.layout.names
    assert env.obs_dim == spec.layout.size
    assert env.state_dim == env.n_agents * env.obs_dim
    obs, info = env.reset()
    assert obs.shape == (4, env.n_agents, env.obs_dim) and obs.dtype == torch.float32
    assert env.state().shape == (4, env.state_dim)
    _text_obs, text_info = text.reset(seed=0)
    assert set(info) - {"action_mask"} == set(text_info[agent]) - {"action_mask"}


def test_observations_lie_in_the_space_and_rewards_are_finite() -> None:
    for config in ({}, {"action_type": "discrete"}, GROUPED):
        env = V.debate(item_pool=POOL, num_envs=32, seed=1, **config)
        gen = torch.Generator().manual_seed(0)
        obs, info = env.reset()
        for _ in range(8):
            for row in _rows(obs, info.get("action_mask"), env):
                assert env.observation_space.contains(row)
            obs, reward, term, trunc, info = env.step(_random_actions(env, gen))
            assert reward.dtype == torch.float32 and bool(torch.isfinite(reward).all())
            assert not bool((term & trunc).any())


def test_first_observation_follows_the_documented_table() -> None:
    env = V.debate(item_pool=POOL, num_envs=16, seed=2, budget=4000)
    obs, info = env.reset()
    lay = env.spec.layout
    o = obs.numpy()
    billed = info["billed_tokens"].numpy()
    np.testing.assert_allclose(
        o[:, :, lay.index("budget_left")],
        np.broadcast_to((1 - billed / 4000)[:, None], (16, 3)),
        1e-6,
    )
    assert (o[:, :, lay.index("round")] == 0).all()
    for name in ("agrees_commitment", "commitment_similarity", "peers_agreement",
                 "distinct_answers", "agrees_local", "commitment_changed"):  # fmt: skip
        assert (o[:, :, lay.index(name)] == 0).all(), name
    assert (o[:, :, lay.slice("previous_belief")] == 0).all()
    np.testing.assert_array_equal(
        o[:, :, lay.slice("agent_id")], np.broadcast_to(np.eye(3), (16, 3, 3))
    )
    feats = o[:, 0, lay.slice("strategy_features")]
    np.testing.assert_allclose(feats.sum(1), 1.0, rtol=1e-5)
    tokens = info["strategy_tokens"].numpy()
    np.testing.assert_allclose(
        o[:, 0, lay.index("strategy_length")], np.minimum(tokens / 70, 1), 1e-6
    )
    assert (info["generated_tokens"] == info["billed_tokens"]).all()


def test_round_fields_after_a_round() -> None:
    env = V.debate(item_pool=POOL, num_envs=64, seed=3)
    env.reset()
    env.autoreset = False
    obs, reward, _, _, info = env.step(torch.zeros(64, 3, 4))
    lay = env.spec.layout
    agree = obs[:, :, lay.index("agrees_commitment")]
    assert torch.equal(agree.bool(), info["agrees_commitment"])
    assert torch.equal(agree, obs[:, :, lay.index("agrees_local")])  # groups = 1
    sim = obs[:, :, lay.index("commitment_similarity")]
    assert torch.equal(sim, torch.where(agree > 0, 1.0, 0.5))
    np.testing.assert_allclose(obs[:, :, lay.slice("previous_belief")].numpy(), 0.5)
    # the reward is the documented sum of its reported components
    total = 0.3 * info["reward_al"] + 0.5 * info["reward_ts"] + 0.2 * info["reward_cc"]
    total = total - info["reward_cost"]
    torch.testing.assert_close(reward.double(), total, rtol=0, atol=1e-6)
    torch.testing.assert_close(info["reward_total"].float(), reward)
    np.testing.assert_allclose(info["temperature"].numpy(), 0.7, atol=1e-6)
    assert (info["round"] == 1).all()


# ---------------------------------------------------------------------- budget property
@settings(max_examples=25, deadline=None)
@given(
    n_agents=st.integers(1, 5),
    groups=st.integers(1, 3),
    budget=st.integers(30, 6000),
    max_rounds=st.integers(1, 5),
    early_stop=st.booleans(),
    epsilon=st.sampled_from([0.0, 0.05, 0.5]),
    discrete=st.booleans(),
    belief_dim=st.integers(1, 4),
    strategy_cap=st.integers(5, 80),
    seed=st.integers(0, 2**31 - 1),
)
def test_budget_is_never_overdrawn(
    n_agents: int, groups: int, budget: int, max_rounds: int, early_stop: bool,
    epsilon: float, discrete: bool, belief_dim: int, strategy_cap: int, seed: int,
) -> None:  # fmt: skip
    env = V.debate(
        num_envs=8,
        seed=seed,
        item_pool=32,
        n_agents=n_agents,
        groups=min(groups, n_agents),
        budget=budget,
        max_rounds=max_rounds,
        early_stop=early_stop,
        epsilon=epsilon,
        action_type="discrete" if discrete else "continuous",
        belief_dim=belief_dim,
        strategy_cap=strategy_cap,
        strategy_soft_limit=min(50, strategy_cap),
    )
    gen = torch.Generator().manual_seed(seed)
    obs, info = env.reset()
    for _ in range(max_rounds + 3):
        billed, generated = info["billed_tokens"], info["generated_tokens"]
        assert bool((billed <= budget).all()) and bool((billed >= 0).all())
        assert bool((billed <= generated).all())
        assert bool((info["remaining_budget"] == budget - billed).all())
        assert bool((info["agent_billed_tokens"].sum(1) <= billed).all())
        assert bool((info["agent_billed_tokens"] <= info["agent_generated_tokens"]).all())
        assert bool(((obs >= 0) & (obs <= 1)).all())
        obs, reward, _term, _trunc, info = env.step(_random_actions(env, gen))
        assert bool(torch.isfinite(reward).all())
        done = info["done"]
        assert bool((info["episode_billed"][done] <= budget).all())
        assert bool((info["episode_billed"][done] <= info["episode_generated"][done]).all())
        assert bool((info["episode_stop_code"][done] > 0).all())


def test_a_refused_round_ends_the_episode_unbilled() -> None:
    env = V.debate(item_pool=POOL, num_envs=256, seed=4, budget=700)
    env.autoreset = False
    env.reset()
    before = env.billed.clone()
    _obs, reward, term, _trunc, info = env.step(torch.zeros(256, 3, 4))
    refused = info["round"] == 0
    assert bool(refused.any())
    budget = stop_code("budget_exhausted")
    assert bool((info["stop_code"][refused] == budget).all())
    assert torch.equal(info["billed_tokens"][refused], before[refused])
    assert bool((info["generated_tokens"][refused] > before[refused]).all())
    assert bool((reward[refused] == 0).all()) and bool(term[refused].all())
    assert not bool(info["correct"][refused].any())  # no commitment yet


def test_a_game_over_at_reset_takes_one_empty_step() -> None:
    env = V.debate(item_pool=POOL, num_envs=8, seed=5, budget=20)
    obs, info = env.reset()
    code = stop_code("budget_exhausted")
    assert bool(info["game_over"].all()) and bool((info["stop_code"] == code).all())
    assert bool((info["billed_tokens"] == 0).all()) and bool((info["generated_tokens"] > 0).all())
    lay = env.spec.layout
    assert bool((obs[:, :, lay.slice("strategy_features")] == 0).all())
    obs, reward, term, trunc, info = env.step(torch.zeros(8, 3, 4))
    assert bool(term.all()) and not bool(trunc.any()) and bool((reward == 0).all())
    assert bool((info["episode_stop_code"] == code).all())
    assert bool((info["round"] == 0).all()) and bool((info["episode_rounds"] == 1).all())


# ---------------------------------------------------------------------- actions
def test_invalid_actions_raise_naming_env_and_agent_and_apply_nothing() -> None:
    env = V.debate(item_pool=POOL, num_envs=6, seed=6)
    obs, _ = env.reset()
    state = (env.billed.clone(), env.round.clone(), env.gen.get_state())
    bad = torch.zeros(6, 3, 4)
    bad[4, 2, 1] = float("nan")
    with pytest.raises(ValueError, match=r"env 4, executor_2"):
        env.step(bad)
    with pytest.raises(ValueError, match=r"shape"):
        env.step(torch.zeros(6, 3, 3))
    assert torch.equal(env.billed, state[0]) and torch.equal(env.round, state[1])
    assert torch.equal(env.gen.get_state(), state[2])
    assert torch.equal(env.state(), obs.reshape(6, -1))
    d = V.debate(item_pool=POOL, num_envs=5, seed=6, action_type="discrete")
    d.reset()
    acts = torch.ones(5, 3, dtype=torch.int64)
    acts[3, 1] = 3
    with pytest.raises(ValueError, match=r"env 3, executor_1"):
        d.step(acts)
    acts[3, 1] = -1
    with pytest.raises(ValueError, match=r"env 3, executor_1"):
        d.step(acts)


def test_discrete_presets_set_the_temperature() -> None:
    presets = (("cold", -1.0), ("mild", 0.25), ("hot", 1.0))
    env = V.debate(item_pool=POOL, num_envs=3, seed=7, action_type="discrete", presets=presets)
    _obs, info = env.reset()
    assert info["action_mask"].shape == (3, 3, 3) and bool(info["action_mask"].all())
    acts = torch.tensor([[0, 1, 2]] * 3)
    _, _, _, _, info = env.step(acts)
    text = parallel_env(action_type="discrete", presets=presets)
    expected = [text.unwrapped.config.beliefs.to_params([v, 0, 0, 0]) for _, v in presets]
    for i, p in enumerate(expected):
        np.testing.assert_allclose(info["temperature"][:, i].numpy(), p.temperature, 1e-9)
        np.testing.assert_allclose(info["top_p"][:, i].numpy(), p.top_p, 1e-9)
        np.testing.assert_allclose(
            info["repetition_penalty"][:, i].numpy(), p.repetition_penalty, 1e-9
        )
    assert env.action_mask().shape == (3, 3, 3)


# ---------------------------------------------------------------------- seeding and resets
def _trajectory(env: V.VecEnvBase, steps: int = 6) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    obs, _ = env.reset()
    out = [obs]
    for _ in range(steps):
        obs, reward, term, trunc, _ = env.step(_random_actions(env, gen))
        out += [obs, reward, term, trunc]
    return out


def test_seeding_is_reproducible() -> None:
    a = _trajectory(V.debate(item_pool=POOL, num_envs=16, seed=11))
    b = _trajectory(V.debate(item_pool=POOL, num_envs=16, seed=11))
    c = _trajectory(V.debate(item_pool=POOL, num_envs=16, seed=12))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))
    f = V.debate(item_pool=POOL, num_envs=16, seed=0)
    f.reset(seed=11)
    g = V.debate(item_pool=POOL, num_envs=16, seed=11)
    g.reset()
    assert torch.equal(f.state(), g.state())


def test_autoreset_and_reset_envs() -> None:
    env = V.debate(item_pool=POOL, num_envs=32, seed=13)
    obs, _ = env.reset()
    gen = torch.Generator().manual_seed(1)
    seen_done = False
    for _ in range(6):
        obs, reward, term, trunc, info = env.step(_random_actions(env, gen))
        done = info["done"]
        assert torch.equal(done, term | trunc)
        assert torch.equal(obs, env._observe_rows(None))  # the partial re-observation
        if bool(done.any()):
            seen_done = True
            lay = env.spec.layout
            assert bool((obs[done][:, :, lay.index("round")] == 0).all())  # new episodes
            assert bool((info["final_obs"][done][:, :, lay.index("round")] > 0).any())
            assert bool((info["episode_rounds"][done] >= 1).all())
            assert bool((env.round[done] == 0).all())
    assert seen_done
    # reset_envs resets only the masked rows
    env.step(_random_actions(env, gen))
    rounds = env.round.clone()
    mask = torch.zeros(32, dtype=torch.bool)
    mask[:5] = True
    env.reset_envs(mask)
    assert bool((env.round[:5] == 0).all()) and torch.equal(env.round[5:], rounds[5:])
    # without autoreset a finished env stays finished, with reward 0
    env.autoreset = False
    env.reset()
    for _ in range(8):
        obs, reward, term, trunc, info = env.step(_random_actions(env, gen))
    assert bool(env.done.all())
    obs2, reward, term, trunc, _ = env.step(_random_actions(env, gen))
    assert bool((reward == 0).all()) and not bool((term | trunc).any())
    assert torch.equal(obs2, obs)


def test_groups_have_local_coordinators() -> None:
    env = V.debate(item_pool=POOL, num_envs=512, seed=14, n_agents=4, groups=2)
    flat = V.debate(item_pool=POOL, num_envs=512, seed=14, n_agents=4)
    env.autoreset = flat.autoreset = False
    env.reset()
    flat.reset()
    a = torch.zeros(512, 4, 4)
    obs, _, _, _, info = env.step(a)
    _, _, _, _, flat_info = flat.step(a)
    lay = env.spec.layout
    # the coordinators' share makes grouped rounds dearer than the executors' own tokens
    coord = info["billed_tokens"] - info["agent_billed_tokens"].sum(1)
    flat_coord = flat_info["billed_tokens"] - flat_info["agent_billed_tokens"].sum(1)
    assert coord.double().mean() > flat_coord.double().mean()
    local = obs[:, :, lay.index("agrees_local")]
    glob = obs[:, :, lay.index("agrees_commitment")]
    assert bool((local != glob).any())
    assert bool(((local == 0) | (local == 1)).all())


def test_any_embedder_value_is_accepted_and_unknown_fields_raise() -> None:
    for name in ("auto", "hashed", "answer"):
        V.debate(item_pool=POOL, num_envs=2, seed=0, embedder=name).reset()
    with pytest.raises(ValueError, match="nonsense"):
        V.debate(item_pool=POOL, num_envs=2, nonsense=1)
    with pytest.raises(ValueError, match="simulated backend"):
        V.debate(item_pool=POOL, num_envs=2, backend=_EchoBackend())


# ---------------------------------------------------------------------- equivalence
# A pool of 8,192 items keeps the pool's own sampling error (sigma / sqrt(pool)) well below the
# resolution of 2,000 episodes, so it does not raise the false-alarm rate.
EQUIVALENCE_POOL = 8192


def _equivalence(policy: str, config: dict) -> None:
    config = {"embedder": "answer", **config}
    spec = env_spec("debate_v0", **config)
    text = episode_samples("text", "debate_v0", config, make_policy(policy, spec, seed=0), EPISODES)
    vec = episode_samples(
        "vector",
        "debate_v0",
        config,
        make_policy(policy, spec, seed=0),
        EPISODES,
        vector_kwargs={"item_pool": EQUIVALENCE_POOL},
    )
    checks = compare(text, vec, ALPHA)
    print(f"{policy} {config}", *checks, sep="\n")  # the table, shown with pytest -rP
    assert len(checks) == CHECKS_PER_COMPARISON
    failed = [str(c) for c in checks if not c.ok]
    assert not failed, f"{policy} {config}: " + "; ".join(failed)


@pytest.mark.parametrize("backend", BACKENDS, ids=["default", "qwen-preset"])
@pytest.mark.parametrize("policy", POLICIES)
def test_statistically_equivalent_to_the_text_env(policy: str, backend: dict) -> None:
    _equivalence(policy, backend)


def test_statistically_equivalent_with_groups() -> None:
    _equivalence("random", GROUPED)


@pytest.mark.parametrize("config", REGIMES, ids=lambda c: "-".join(map(str, c.values())))
def test_statistically_equivalent_in_the_new_regimes(config: dict) -> None:
    _equivalence("neutral", config)


def test_bonferroni_level() -> None:
    assert math.isclose(ALPHA * N_CHECKS, 0.01)

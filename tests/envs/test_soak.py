"""The soak (issue 12): ``$ECON_SOAK_EPISODES`` (default 10,000) seeded random episodes of every
env through the native parallel API, every invariant checked on every step; and the checker's
own tests, which feed it broken observations, infos, ledgers and envs.

A short run: ``ECON_SOAK_EPISODES=500 pytest -q -s tests/envs/test_soak.py`` (``-s`` prints the
episodes/s of every env); the table: ``python -m econ_env.testing.soak --episodes 500``.
"""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from gymnasium import spaces

from econ_env.envs.auction.config import ANSWER_RULES, REWARD_MODES
from econ_env.envs.auction.mechanism import MECHANISMS
from econ_env.registry import env_info, list_envs
from econ_env.testing import soak
from econ_env.testing.soak.configs import _debate_groups_field

# --------------------------------------------------------------------------- the soak


@pytest.fixture(scope="module", params=list_envs())
def report(request: pytest.FixtureRequest) -> soak.SoakReport:
    """One soak of the env, shared by the tests below (pytest runs them together)."""
    r = soak.run_soak(request.param)
    print(
        f"\nsoak {r.env}: {r.episodes} episodes ({r.steps} steps, {r.ended_at_reset} ended at "
        f"reset, {r.configs} configs) in {r.seconds:.1f}s = {r.episodes_per_s:.1f} episodes/s "
        f"(+{r.build_seconds:.1f}s building the envs); stop reasons {dict(r.stop_reasons)}"
    )
    return r


def test_soak_core_invariants(report: soak.SoakReport) -> None:
    assert report.episodes == soak.default_episodes()
    assert not report.failed(soak.CORE), report.describe(soak.CORE)


def test_soak_info_contract(report: soak.SoakReport) -> None:
    """Numeric infos with stable keys and the action mask (the infos contract of
    econ_env.envs.observe); kept apart from the core invariants."""
    assert not report.failed(soak.INFO_CONTRACT), report.describe(soak.INFO_CONTRACT)


def test_soak_reaches_every_ending(report: soak.SoakReport) -> None:
    if report.episodes < 1000:
        pytest.skip("a short soak need not reach every ending")
    reasons = set(report.stop_reasons)
    assert {"budget_exhausted", "max_rounds"} <= reasons
    if report.env.startswith("auction"):
        assert "consensus" in reasons
    else:
        assert reasons & {"converged", "belief_converged", "oscillation"}
        assert report.ended_at_reset > 0  # tiny budgets refuse the strategy


# --------------------------------------------------------------------------- the configs
def test_auction_configs_cover_the_choices() -> None:
    cfgs = soak.auction_configs()
    assert cfgs == soak.auction_configs()  # seeded
    assert {c["mechanism"] for c in cfgs} == set(MECHANISMS)
    assert {c["action_type"] for c in cfgs} == {"continuous", "discrete"}
    assert {c.get("reward_mode", "team") for c in cfgs} == set(REWARD_MODES)
    assert {c["answer_rule"] for c in cfgs if "answer_rule" in c} == set(ANSWER_RULES)
    assert {c["stop_on_consensus"] for c in cfgs} == {True, False}
    assert set(range(1, 7)) <= {c["n_agents"] for c in cfgs}
    assert min(c["budget"] for c in cfgs) < 40 and max(c["budget"] for c in cfgs) >= 10**6
    pairs = {(c["mechanism"], c["action_type"], c.get("reward_mode", "team")) for c in cfgs}
    assert len(pairs) == len(MECHANISMS) * 2 * len(REWARD_MODES)
    vcg_capped = [c for c in cfgs if c["mechanism"] == "vcg" and c.get("round_cap")]
    assert vcg_capped  # budget-constrained VCG: the round cap is its knapsack capacity
    for c in cfgs:
        env_info("auction_v0").spec(**c)  # every config is valid


def test_debate_configs_cover_the_choices() -> None:
    cfgs = soak.debate_configs()
    assert cfgs == soak.debate_configs()
    groups = _debate_groups_field()
    assert {c["action_type"] for c in cfgs} == {"continuous", "discrete"}
    assert {c[groups] > 1 for c in cfgs} == {True, False}
    assert {c["early_stop"] for c in cfgs} == {True, False}
    assert set(range(1, 7)) <= {c["n_agents"] for c in cfgs}
    assert min(c["budget"] for c in cfgs) < 60 and max(c["budget"] for c in cfgs) >= 10**6
    assert all(c["embedder"] == "hashed" for c in cfgs)
    for c in cfgs:
        env_info("debate_v0").spec(**c)


def test_episode_count_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(soak.EPISODES_VAR, raising=False)
    assert soak.default_episodes() == soak.DEFAULT_EPISODES == 10_000
    monkeypatch.setenv(soak.EPISODES_VAR, "25")
    assert soak.default_episodes() == 25
    for bad in ("0", "ten"):
        monkeypatch.setenv(soak.EPISODES_VAR, bad)
        with pytest.raises(ValueError, match=soak.EPISODES_VAR):
            soak.default_episodes()


# --------------------------------------------------------------------------- random actions
def test_random_actions_respect_the_mask_and_the_seed() -> None:
    env = env_info("auction_v0").parallel_env(
        action_type="discrete", bid_levels=6, n_agents=3, task="gsm8k"
    )
    obs, _ = env.reset(seed=0)
    obs["bidder_1"]["action_mask"][:] = [0, 0, 0, 1, 0, 0]
    state = np.random.get_state()  # noqa: NPY002
    draws = [soak.random_actions(env, obs, np.random.default_rng(7)) for _ in range(2)]
    assert draws[0] == draws[1]  # the given generator only
    assert np.array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002 (untouched)
    levels = Counter(
        soak.random_actions(env, obs, np.random.default_rng(s))["bidder_1"] for s in range(50)
    )
    assert set(levels) == {3}

    env = env_info("debate_v0").parallel_env(belief_dim=3, embedder="hashed", task="gsm8k")
    obs, _ = env.reset(seed=0)
    acts = soak.random_actions(env, obs, np.random.default_rng(1))
    space = env.action_space("executor_0")
    assert set(acts) == set(env.agents)
    assert all(a.dtype == np.float32 and space.contains(a) for a in acts.values())


# --------------------------------------------------------------------------- the checker fails
BOX = spaces.Box(0.0, 1.0, (4,), dtype=np.float32)
DICT = spaces.Dict({"observation": BOX, "action_mask": spaces.Box(0, 1, (3,), dtype=np.int8)})


def checks(problems: list[soak.Problem]) -> set[str]:
    return {check for _, check, _ in problems}


def test_check_observation_reports_broken_observations() -> None:
    good = np.full(4, 0.5, dtype=np.float32)
    mask = np.array([1, 0, 1], dtype=np.int8)
    assert soak.check_observation(BOX, good) == []
    assert soak.check_observation(DICT, {"observation": good, "action_mask": mask}) == []
    assert checks(soak.check_observation(BOX, good.astype(np.float64))) == {"obs_dtype"}
    nan = good.copy()
    nan[2] = np.nan
    assert checks(soak.check_observation(BOX, nan)) == {"obs_finite"}
    assert checks(soak.check_observation(BOX, good + 1.0)) == {"obs_bounds"}
    assert checks(soak.check_observation(BOX, good[:3])) == {"obs_shape"}
    assert checks(soak.check_observation(BOX, good.tolist())) == {"obs_type"}
    zeros = np.zeros(3, dtype=np.int8)
    assert checks(soak.check_observation(DICT, {"observation": good, "action_mask": zeros})) == {
        "mask_all_zero"
    }
    wide = mask.astype(np.int64)
    assert checks(soak.check_observation(DICT, {"observation": good, "action_mask": wide})) == {
        "mask_dtype"
    }
    assert checks(soak.check_observation(DICT, {"observation": good})) == {"obs_keys"}


def entry(index: int, agent: str, prompt: int, completion: int, billed: int, ref=None):
    return SimpleNamespace(
        index=index,
        agent=agent,
        role="draft",
        prompt_tokens=prompt,
        completion_tokens=completion,
        billed=billed,
        ref=ref,
    )


def fake_ledger(entries: list[Any], budget: int = 100, **override: Any) -> SimpleNamespace:
    """A duck-typed ledger whose totals are its entries' unless overridden (the real
    TokenLedger refuses to hold a broken entry)."""
    billed = sum(e.billed for e in entries)
    by_agent: Counter[str] = Counter()
    gen_by_agent: Counter[str] = Counter()
    for e in entries:
        by_agent[e.agent] += e.billed
        gen_by_agent[e.agent] += e.prompt_tokens + e.completion_tokens
    totals = {
        "budget": budget,
        "remaining": budget - billed,
        "billed_total": billed,
        "generated_total": sum(e.prompt_tokens + e.completion_tokens for e in entries),
        "entries": tuple(entries),
        **override,
    }
    return SimpleNamespace(
        **totals,
        billed_by_agent=lambda: dict(by_agent),
        generated_by_agent=lambda: dict(gen_by_agent),
    )


def test_check_ledger_reports_broken_ledgers() -> None:
    ok = [entry(0, "a", 10, 5, 0), entry(1, "a", 0, 0, 15, ref=0), entry(2, "b", 3, 3, 6)]
    assert soak.check_ledger(fake_ledger(ok)) == []
    over = [entry(0, "a", 10, 5, 20)]  # billed > generated in one entry, for the agent, in total
    problems = soak.check_ledger(fake_ledger(over))
    assert checks(problems) == {"billed_gt_generated"} and len(problems) == 3
    charged = [entry(0, "a", 10, 5, 10), entry(1, "a", 0, 0, 6, ref=0)]  # 16 billed of 15
    assert "billed_gt_generated" in checks(soak.check_ledger(fake_ledger(charged)))
    negative = fake_ledger([entry(0, "a", 100, 50, 120)], budget=100)
    assert checks(soak.check_ledger(negative)) == {"budget_negative"}
    assert checks(soak.check_ledger(fake_ledger(ok, billed_total=99))) >= {"ledger_totals"}
    other = [entry(0, "a", 10, 5, 0), entry(1, "b", 0, 0, 5, ref=0)]
    assert "entry_charge" in checks(soak.check_ledger(fake_ledger(other)))


def test_check_token_totals_reports_infos_off_the_ledger() -> None:
    ledger = fake_ledger([entry(0, "a", 10, 5, 15)])
    info = {"billed_tokens": 15, "generated_tokens": 15, "remaining_budget": 85}
    assert soak.check_token_totals({"a": info}, ledger) == []
    for key in info:
        bad = {**info, key: info[key] + 1}
        assert checks(soak.check_token_totals({"a": bad}, ledger)) == {"info_totals"}
    missing = {k: v for k, v in info.items() if k != "remaining_budget"}
    assert checks(soak.check_token_totals({"a": missing}, ledger)) == {"info_totals"}


def test_check_info_contract_reports_text_unstable_keys_and_masks() -> None:
    mask = np.array([1, 1, 0], dtype=np.int8)
    obs = {"a": {"observation": np.zeros(4, dtype=np.float32), "action_mask": mask}}
    good = {"round": 0, "correct": False, "bid": np.float64(0.5), "action_mask": mask.copy()}
    ref: dict = {}
    assert soak.check_info_contract({"a": good}, obs, ref, discrete=True) == []
    assert soak.check_info_contract({"a": dict(good)}, obs, ref, discrete=True) == []
    for value in ("text", None, {"x": 1}, (1, 2), [1], np.array(["s"])):
        bad = {**good, "bid": value}
        assert checks(soak.check_info_contract({"a": bad}, obs, ref, discrete=True)) >= {
            "info_numeric"
        }
    more = {**good, "extra": 1}
    assert checks(soak.check_info_contract({"a": more}, obs, ref, discrete=True)) == {"info_keys"}
    reshaped = {**good, "action_mask": np.ones(4, dtype=np.int8)}
    assert checks(soak.check_info_contract({"a": reshaped}, obs, ref, discrete=True)) == {
        "info_shape",
        "info_mask",
    }
    other = {**good, "action_mask": np.array([1, 0, 0], dtype=np.int8)}
    assert checks(soak.check_info_contract({"a": other}, obs, ref, discrete=True)) == {"info_mask"}
    over = {**good, "game_over": True}
    got = soak.check_info_contract({"a": over}, obs, {}, discrete=True, game_over=False)
    assert checks(got) == {"info_game_over"}


class Broken:
    """A parallel env that breaks one promise after its first step (or at reset)."""

    def __init__(self, fault: str, **config: Any) -> None:
        self._inner = env_info(config.pop("env", "auction_v0")).parallel_env(**config)
        self.fault = fault

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def reset(self, seed=None, options=None):
        obs, infos = self._inner.reset(seed=seed, options=options)
        if self.fault == "info_text":
            infos = {a: {**i, "question": "text"} for a, i in infos.items()}
        return obs, infos

    def step(self, actions):
        obs, rewards, terms, truncs, infos = self._inner.step(actions)
        first = next(iter(obs), None)
        if first is None:
            return obs, rewards, terms, truncs, infos
        if self.fault == "float64":
            vec = obs[first]["observation"] if isinstance(obs[first], dict) else obs[first]
            obs[first] = vec.astype(np.float64)
        elif self.fault == "nan_reward":
            rewards[first] = float("nan")
        elif self.fault == "mask_zero":
            obs[first]["action_mask"][:] = 0
        elif self.fault == "billed":
            infos = {a: {**i, "billed_tokens": i["billed_tokens"] + 1} for a, i in infos.items()}
        elif self.fault == "never_ends":
            terms = dict.fromkeys(terms, False)
            truncs = dict.fromkeys(truncs, False)
        elif self.fault == "end_apart":
            terms = {a: i == 0 for i, a in enumerate(terms)}
        return obs, rewards, terms, truncs, infos


@pytest.mark.parametrize(
    ("fault", "config", "check"),
    [
        ("float64", {}, "obs_dtype"),
        ("nan_reward", {}, "reward"),
        ("mask_zero", {"action_type": "discrete"}, "mask_all_zero"),
        ("billed", {"env": "debate_v0", "embedder": "hashed"}, "info_totals"),
        ("never_ends", {"max_rounds": 2, "stop_on_consensus": False}, "agents_changed"),
        ("end_apart", {"n_agents": 3}, "done_together"),
        ("info_text", {}, "info_numeric"),
    ],
)
def test_the_soak_reports_a_broken_env(fault: str, config: dict, check: str) -> None:
    config = {"task": "gsm8k", "budget": 10**6, **config}
    report = soak.run_soak(
        "auction_v0",
        6,
        configs=[config],
        make=lambda **c: Broken(fault, **c),
    )
    failed = {f.check: f for f in report.failed()}
    assert check in failed, report.describe()
    example = failed[check].examples[0]
    assert "soak_episode('auction_v0'" in example and "seed=" in example
    seed = int(example.rsplit("seed=", 1)[1].rstrip(")"))
    replay = soak.soak_episode("auction_v0", config, seed, make=lambda **c: Broken(fault, **c))
    assert check in checks(replay)
    assert report.failed(soak.INFO_CONTRACT if check == "info_numeric" else soak.CORE)


def test_the_soak_of_a_healthy_env_is_clean() -> None:
    report = soak.run_soak("auction_v0", 12, configs=soak.auction_configs()[:4])
    assert report.episodes == 12 and report.steps > 0
    assert not report.failures, report.describe()
    assert "auction_v0" in report.row()

"""What the soak plays: the episodes per env (``$ECON_SOAK_EPISODES``), the seeded config list
of every env (:func:`configs_for`) and the seeded random actions (:func:`random_actions`)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

import numpy as np
from gymnasium import spaces

from econ_env.envs.auction import config as auction_config
from econ_env.envs.auction.mechanism import MECHANISMS
from econ_env.envs.debate import config as debate_config
from econ_env.registry import env_info

DEFAULT_EPISODES = 10_000
EPISODES_VAR = "ECON_SOAK_EPISODES"


def default_episodes() -> int:
    """Episodes per env: ``$ECON_SOAK_EPISODES`` when set, else :data:`DEFAULT_EPISODES`."""
    raw = os.environ.get(EPISODES_VAR, "").strip()
    if not raw:
        return DEFAULT_EPISODES
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{EPISODES_VAR} must be an integer >= 1, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{EPISODES_VAR} must be an integer >= 1, got {raw!r}")
    return value


# --------------------------------------------------------------------------- configs
def _budget_classes(tiny: tuple[int, int], small: tuple[int, int], default: int, large: int):
    """Budget draws: tiny, small, the default and huge."""
    return (
        ("tiny", lambda rng: int(rng.integers(*tiny))),
        ("small", lambda rng: int(rng.integers(*small))),
        ("default", lambda rng: default),
        ("large", lambda rng: large),
    )


def auction_configs(seed: int = 0) -> list[dict[str, Any]]:
    """A seeded list of auction_v0 configs: every mechanism x action type x reward mode under
    four budget classes (tiny budgets end in the first round), 1..6 bidders, every answer rule,
    stop on consensus on and off, round caps (VCG's knapsack capacity) and reserves; plus one
    VCG config with 11 bidders (its knapsack DP beyond 10 eligible bidders)."""
    rng = np.random.default_rng(seed)
    regime_rng = np.random.default_rng([seed, 14])  # apart, so the older fields stay the same
    out: list[dict[str, Any]] = []
    combos = list(
        itertools.product(MECHANISMS, auction_config.ACTION_TYPES, auction_config.REWARD_MODES)
    )
    budgets = _budget_classes((1, 40), (60, 700), 2048, 10**7)
    tasks = ("arithmetic", "arithmetic", "gsm8k", "mmlu")
    for _, draw_budget in budgets:
        for mechanism, action_type, reward_mode in combos:
            k = len(out)
            n = 1 + k % 6
            cfg: dict[str, Any] = {
                "n_agents": n,
                "mechanism": mechanism,
                "top_k": 1 if mechanism == "second_price" else int(rng.integers(1, n + 1)),
                "budget": draw_budget(rng),
                "round_cap": None if rng.random() < 0.4 else int(rng.integers(5, 400)),
                "max_rounds": int(rng.integers(1, 7)),
                "reserve": 0.0 if rng.random() < 0.6 else round(float(rng.uniform(0, 0.7)), 3),
                "softmax_temperature": float(rng.choice([0.05, 0.1, 1.0])),
                "action_type": action_type,
                "reward_mode": reward_mode,
                "answer_rule": auction_config.ANSWER_RULES[k % len(auction_config.ANSWER_RULES)],
                "stop_on_consensus": bool((k // 3) % 2),
                "max_draft_tokens": int(rng.choice([16, 64, 256])),
                "task": tasks[k % len(tasks)],
            }
            if k % 10 == 7 and _has_field(auction_config.AuctionConfig, "info_text"):
                cfg["info_text"] = True  # text in the infos too (the info contract's numbers aside)
            if reward_mode == "team":
                cfg["cost_weight"] = float(rng.choice([0.0, 1.0, 2.5]))
            if action_type == "discrete":
                cfg["bid_levels"] = int(rng.integers(2, 7))
                modes = auction_config.INVALID_ACTION_MODES
                cfg["invalid_action"] = modes[k % len(modes)]
            else:
                cfg["belief_dim"] = int(rng.integers(0, 4))
            out.append(_regime_fields(cfg, k, regime_rng, tiers=True))
    out.append(
        {
            "n_agents": 11,
            "mechanism": "vcg",
            "top_k": 5,
            "budget": 10**6,
            "round_cap": 300,
            "max_rounds": 3,
            "action_type": "continuous",
            "stop_on_consensus": False,
        }
    )
    return out


def _regime_fields(
    cfg: dict[str, Any], k: int, rng: np.random.Generator, *, tiers: bool
) -> dict[str, Any]:
    """Issue 14's regimes on some configs: a team (a preset or explicit skills), split facts
    (2..5 facts), and, in the auction, message tiers (a non-empty ordered subset)."""
    if k % 4 == 2:
        presets = ("one_expert", "spread", "uniform", None)
        team = presets[int(rng.integers(len(presets)))]
        cfg["team"] = team or [
            {"skill": round(float(s), 2)} for s in rng.normal(0, 1.5, cfg["n_agents"])
        ]
    if k % 6 == 1:
        cfg["task"] = "split_facts"
        cfg["task_kwargs"] = {"n_facts": int(rng.integers(2, 6))}
    if tiers and k % 3 == 0:
        names = ("full", "summary", "keywords")
        keep = [t for t in names if rng.random() < 0.6] or [names[int(rng.integers(3))]]
        cfg["tiers"] = tuple(keep)
    return cfg


def _has_field(cls: type, name: str) -> bool:
    return any(f.name == name for f in fields(cls))


def _debate_groups_field() -> str:
    """The name of debate_v0's group-count field (``groups``, or ``n_groups``)."""
    return "n_groups" if _has_field(debate_config.DebateConfig, "n_groups") else "groups"


def _debate_reward_modes() -> tuple[Any, ...]:
    """debate_v0's reward modes when its config has ``reward_mode``; else ``(None,)``."""
    if not _has_field(debate_config.DebateConfig, "reward_mode"):
        return (None,)
    return tuple(getattr(debate_config, "REWARD_MODES", (None,)))


def debate_configs(seed: int = 0) -> list[dict[str, Any]]:
    """A seeded list of debate_v0 configs: action type x one or several groups x early stop on
    or off (x reward mode, when the config has one) under four budget classes (tiny budgets end
    at reset: the strategy is refused), 1..6 executors, reward weights, belief dims, presets and
    convergence thresholds. Every config uses the hashed embedder (MiniLM is ~50x slower)."""
    rng = np.random.default_rng(seed)
    regime_rng = np.random.default_rng([seed, 14])
    groups_field = _debate_groups_field()
    out: list[dict[str, Any]] = []
    combos = list(
        itertools.product(
            debate_config.ACTION_TYPES, (False, True), (True, False), _debate_reward_modes()
        )
    )
    budgets = _budget_classes((1, 60), (200, 2500), 8192, 10**8)
    presets = (
        debate_config.DEFAULT_PRESETS,
        (("cold", -1.0), ("hot", 1.0)),
        (("a", -1.0), ("b", -0.5), ("c", 0.0), ("d", 0.5), ("e", 1.0)),
    )
    weights = (
        {},
        {"alpha_al": 0.0, "alpha_ts": 1.0, "alpha_cc": 0.0, "cost_weight": 0.0},
        {"alpha_al": 1.0, "alpha_ts": 1.0, "alpha_cc": 1.0, "cost_weight": 5.0},
    )
    tasks = ("arithmetic", "arithmetic", "gsm8k", "mmlu")
    for _, draw_budget in budgets:
        for action_type, grouped, early_stop, reward_mode in combos:
            k = len(out)
            n = 2 + k % 5 if grouped else 1 + k % 6
            cfg: dict[str, Any] = {
                "n_agents": n,
                groups_field: int(rng.integers(2, n + 1)) if grouped else 1,
                "belief_dim": int(rng.integers(1, 7)),
                "action_type": action_type,
                "budget": draw_budget(rng),
                "max_rounds": int(rng.integers(1, 6)),
                "epsilon": float(rng.choice([0.0, 0.05, 0.5])),
                "early_stop": early_stop,
                "max_answer_tokens": int(rng.choice([16, 64, 256])),
                "commitment_cap": int(rng.choice([8, 50])),
                "embedder": "hashed",
                "task": tasks[k % len(tasks)],
                **weights[k % len(weights)],
            }
            if k % 10 == 7 and _has_field(debate_config.DebateConfig, "info_text"):
                cfg["info_text"] = True
            if k % 5 == 4:
                cfg["strategy_soft_limit"], cfg["strategy_cap"] = 4, 6
            if reward_mode is not None:
                cfg["reward_mode"] = reward_mode
            if action_type == "discrete":
                cfg["presets"] = presets[k % len(presets)]
            out.append(_regime_fields(cfg, k, regime_rng, tiers=False))
    return out


CONFIG_LISTS: dict[str, Callable[[int], list[dict[str, Any]]]] = {
    "auction_v0": auction_configs,
    "auction_v1": auction_configs,  # the same list: its default team applies where none is set
    "debate_v0": debate_configs,
    "debate_v1": debate_configs,  # the same list: its defaults apply where none is set
}


def configs_for(name: str, seed: int = 0) -> list[dict[str, Any]]:
    """The soak's config list of env ``name`` (``[{}]``, the defaults, for an env without one)."""
    env_info(name)  # ValueError naming the envs
    make = CONFIG_LISTS.get(name)
    return make(seed) if make is not None else [{}]


# --------------------------------------------------------------------------- actions
def random_actions(env: Any, observations: Mapping[str, Any], rng: np.random.Generator) -> dict:
    """One action per live agent drawn with ``rng``: discrete among the entries the action mask
    allows (every entry without a mask), continuous uniformly in the box with each coordinate
    at a bound one time in ten (5% low, 5% high)."""
    agents = list(env.agents)
    actions: dict[str, Any] = {}
    if not agents:
        return actions
    space = env.action_space(agents[0])
    if isinstance(space, spaces.Box) and all(env.action_space(a) is space for a in agents):
        low, high = space.low.astype(np.float64), space.high.astype(np.float64)
        u = rng.random((len(agents), 2, *space.shape))
        x = low + u[:, 0] * (high - low)
        edge = u[:, 1]
        x = np.where(edge < 0.05, low, np.where(edge < 0.1, high, x)).astype(space.dtype)
        return dict(zip(agents, x, strict=True))
    u = rng.random(len(agents))
    for agent, ui in zip(agents, u, strict=True):
        space = env.action_space(agent)
        if isinstance(space, spaces.Discrete):
            obs = observations.get(agent)
            if isinstance(obs, Mapping) and "action_mask" in obs:
                allowed = np.flatnonzero(obs["action_mask"])
                if allowed.size == 0:  # reported by the checker; silence keeps the episode going
                    allowed = np.zeros(1, dtype=np.int64)
                level = int(allowed[int(ui * allowed.size)])
            else:
                level = int(ui * space.n)
            actions[agent] = int(space.start) + level
        elif isinstance(space, spaces.Box):
            x = rng.uniform(space.low.astype(np.float64), space.high.astype(np.float64))
            actions[agent] = x.astype(space.dtype)
        else:  # pragma: no cover - no env of econ-env has another action space
            raise TypeError(f"{agent}: soak cannot draw from {space!r}")
    return actions

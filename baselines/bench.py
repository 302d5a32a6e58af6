"""The benchmark's baselines: a policy plus the game settings that define it, for each env.

Some baselines are policies (random or truthful bidding); others are ways of playing the game
(one agent and one round is single-agent chain-of-thought; independent drafts and a majority is
self-consistency). ``BENCH_BASELINES[name][env] = (policy name, config overrides)``:

- ``single_cot``: auction, one bidder, one round, silent; debate, one executor, one round.
- ``self_consistency``: silent bidders for one round, so the answer is the majority of n
  independent drafts (no communication); debate, neutral beliefs for one round, so the
  coordinator commits to the plurality of independent answers.
- ``mad``: auction, everyone bids every round with ``top_k = n`` (multi-agent debate);
  debate, neutral beliefs and every round played (the game has no speaking channel).
- ``round_robin``: one speaker per round in turn; debate, one executor explores per round.
- ``random``: random bids / random beliefs.
- ``truthful``: bid = own confidence; debate, follow when agreeing, explore when not.

``resolve(name, env_name, case_config)`` gives ``(policy_factory, overrides)``; any other name is
a per-env baseline of :func:`baselines.make_policy` or a ``module:Class`` spec (no overrides).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

N_AGENTS = "n_agents"  # placeholder resolved to the case's number of agents

BENCH_BASELINES: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {
    "single_cot": {
        "auction_v0": ("silent", {"n_agents": 1, "top_k": 1, "max_rounds": 1}),
        "debate_v0": ("neutral", {"n_agents": 1, "groups": 1, "max_rounds": 1}),
    },
    "self_consistency": {
        "auction_v0": ("silent", {"max_rounds": 1}),
        "debate_v0": ("neutral", {"max_rounds": 1}),
    },
    "mad": {
        "auction_v0": ("always", {"mechanism": "top_k", "top_k": N_AGENTS}),
        "debate_v0": ("neutral", {"early_stop": False}),
    },
    "round_robin": {"auction_v0": ("round_robin", {}), "debate_v0": ("round_robin", {})},
    "random": {"auction_v0": ("random", {}), "debate_v0": ("random", {})},
    "truthful": {"auction_v0": ("truthful", {}), "debate_v0": ("truthful", {})},
}

_DEFAULT_N_AGENTS = 3


def resolve(
    name: str, env_name: str, case_config: Mapping[str, Any] | None = None
) -> tuple[Callable[[Any, int], Any], dict[str, Any]]:
    """``(policy_factory(env, seed), config overrides)`` for a bench baseline or policy spec."""
    from baselines import make_policy

    case_config = dict(case_config or {})
    if name in BENCH_BASELINES:
        if env_name not in BENCH_BASELINES[name]:
            raise ValueError(f"baseline {name!r} has no setting for {env_name!r}")
        policy, overrides = BENCH_BASELINES[name][env_name]
        n = case_config.get("n_agents", _DEFAULT_N_AGENTS)
        overrides = {k: (n if v == N_AGENTS else v) for k, v in overrides.items()}
        return (lambda env, seed, p=policy: make_policy(p, env, seed)), overrides
    module, sep, attr = name.partition(":")
    if sep:
        cls = getattr(importlib.import_module(module), attr)
        return (lambda env, seed: cls(env, seed=seed)), {}
    from baselines.auction import POLICIES
    from baselines.debate import DEBATE_POLICIES

    table = DEBATE_POLICIES if env_name.startswith("debate") else POLICIES
    if name not in table:
        raise ValueError(
            f"unknown policy {name!r}: use a bench baseline {sorted(BENCH_BASELINES)}, "
            f"a {env_name} baseline {sorted(table)} or module:Class"
        )
    return (lambda env, seed: make_policy(name, env, seed)), {}

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
a policy of the policy registry (:func:`econ_env.policies.policy_factory`: a registered name or a
``module:Class`` spec) with no overrides. A factory is called as ``factory(spec, seed)`` with
the episode env's public :class:`~econ_env.core.spec.EnvSpec`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from econ_env.policies import PolicyFactory, list_policies, policy_factory

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


def overrides_of(name: str, env_name: str, case_config: Mapping[str, Any] | None = None) -> dict:
    """The config overrides of bench baseline ``name`` (``{}`` for any other policy name).

    Never imports anything (``verify`` calls it on untrusted metadata).
    """
    if name not in BENCH_BASELINES:
        return {}
    if env_name not in BENCH_BASELINES[name]:
        raise ValueError(f"baseline {name!r} has no setting for {env_name!r}")
    overrides = BENCH_BASELINES[name][env_name][1]
    n = dict(case_config or {}).get("n_agents", _DEFAULT_N_AGENTS)
    return {k: (n if v == N_AGENTS else v) for k, v in overrides.items()}


def resolve(
    name: str, env_name: str, case_config: Mapping[str, Any] | None = None
) -> tuple[Callable[[Any, int], Any], dict[str, Any]]:
    """``(policy_factory(spec, seed), config overrides)`` for a bench baseline or a policy."""
    if name in BENCH_BASELINES:
        overrides = overrides_of(name, env_name, case_config)
        factory: PolicyFactory = policy_factory(BENCH_BASELINES[name][env_name][0], env_name)
        return (lambda spec, seed: factory(spec, seed=seed)), overrides
    try:
        factory = policy_factory(name, env_name)
    except ValueError as err:
        raise ValueError(
            f"unknown policy {name!r}: use a bench baseline {sorted(BENCH_BASELINES)}, "
            f"a {env_name} policy {list_policies(env_name)} or module:Class ({err})"
        ) from None
    return (lambda spec, seed: factory(spec, seed=seed)), {}

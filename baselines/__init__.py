"""Non-learned policies for econ-env's games, all with ``act(obs, agent) -> action``.

Policies are built from an environment (for its spaces and layout) and a seed:
``policy = make_policy("truthful", env, seed=0)``. ``POLICIES`` lists auction_v0's bidders and
``DEBATE_POLICIES`` debate_v0's fixed beliefs; ``make_policy`` picks from the table that matches
the env.
"""

from typing import Any

from baselines.auction import (
    POLICIES,
    AlwaysSpeak,
    Policy,
    RandomBidder,
    RoundRobin,
    Silent,
    TruthfulBidder,
)
from baselines.bench import BENCH_BASELINES, resolve
from baselines.debate import (
    DEBATE_POLICIES,
    BeliefPolicy,
    ConservativeBelief,
    ExploratoryBelief,
    NeutralBelief,
    RandomBelief,
    RoundRobinBelief,
    TruthfulBelief,
)


def policies_for(env: Any) -> dict[str, Any]:
    """The baseline table for ``env`` (debate_v0's beliefs or auction_v0's bidders)."""
    name = env.unwrapped.metadata.get("name", "")
    return DEBATE_POLICIES if name.startswith("debate") else POLICIES


def make_policy(name: str, env: Any, seed: int = 0) -> Any:
    """Build the baseline ``name`` for ``env`` (``ValueError`` listing the names otherwise)."""
    table = policies_for(env)
    if name not in table:
        raise ValueError(f"unknown policy {name!r} for this env; one of {sorted(table)}")
    return table[name](env, seed=seed)


__all__ = [
    "BENCH_BASELINES",
    "DEBATE_POLICIES",
    "POLICIES",
    "AlwaysSpeak",
    "BeliefPolicy",
    "ConservativeBelief",
    "ExploratoryBelief",
    "NeutralBelief",
    "Policy",
    "RandomBelief",
    "RandomBidder",
    "RoundRobin",
    "RoundRobinBelief",
    "Silent",
    "TruthfulBelief",
    "TruthfulBidder",
    "make_policy",
    "policies_for",
    "resolve",
]

"""Non-learned policies for econ-env's games, all with ``act(obs, agent) -> action``.

Policies are built from an environment (for its spaces and layout) and a seed:
``policy = TruthfulBidder(env, seed=0)``. ``make_policy(name, env, seed)`` builds one by name;
``POLICIES`` lists the names.
"""

from baselines.auction import (
    POLICIES,
    AlwaysSpeak,
    Policy,
    RandomBidder,
    RoundRobin,
    Silent,
    TruthfulBidder,
    make_policy,
)

__all__ = [
    "POLICIES",
    "AlwaysSpeak",
    "Policy",
    "RandomBidder",
    "RoundRobin",
    "Silent",
    "TruthfulBidder",
    "make_policy",
]

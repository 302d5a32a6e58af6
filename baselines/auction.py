"""Baseline bidding policies for auction_v0.

- ``random``: a uniformly random action (masked levels excluded).
- ``truthful``: bids its own confidence (exp of the draft's mean log-probability) whenever its
  draft can be broadcast — truthful bidding of the value it believes its message has.
- ``always``: bids the maximum every round; with ``top_k = n_agents`` this is multi-agent
  debate (everyone speaks every round).
- ``silent``: never bids; the final answer is the majority of independent drafts
  (self-consistency / majority vote, zero billed tokens).
- ``round_robin``: bids the maximum only in rounds where ``round % n_agents`` is its index.

With message tiers (``tiers=("full", "summary", "keywords")``) each bids on one tier, the first
configured one by default; ``TIER_POLICIES`` has ``truthful_summary``, ``always_keywords``, ...
that bid on the named tier.

Each is built from the env's public description (``Policy(spec, seed)`` with an
:class:`econ_env.EnvSpec`, never the env) and reads only its own observation, through the
documented layout. They are registered as ``auction_v0.<name>`` in the ``econ_env.policies``
entry-point group, so ``econ_env.make_policy("truthful", spec)`` finds them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces

from econ_env_baselines.base import SpecPolicy


class Policy(SpecPolicy):
    """Base class of the bidders: a :class:`SpecPolicy` that encodes bids as actions.

    With several message tiers (``tiers``) a bidder bids on one tier: ``tier_name`` when the
    env offers it, else the first configured tier (the policies' ``*_summary`` /
    ``*_keywords`` variants set ``tier_name``).
    """

    tier_name: str | None = None

    def __init__(self, spec: Any, seed: int = 0) -> None:
        super().__init__(spec, seed)
        self.tiers = tuple(spec.config.get("tiers") or ("full",))
        self.tier = self.tiers.index(self.tier_name) if self.tier_name in self.tiers else 0

    def _affordable(self, v: np.ndarray) -> bool:
        """Whether the message of the tier this bidder bids on can be broadcast."""
        if len(self.tiers) > 1:
            return bool(v[self.layout.slice("tier_affordable")][self.tier] >= 0.5)
        return bool(v[self.layout.index("affordable")] >= 0.5)

    def _bid_action(self, obs: Any, agent: str, bid: float) -> Any:
        """Encode a bid in [0, 1] on this bidder's tier as an action of the agent's space
        (respecting the mask)."""
        space = self.spaces[agent]
        nt = len(self.tiers)
        if isinstance(space, spaces.Discrete):
            k1 = (space.n - 1) // nt
            level = round(bid * k1)
            if level > 0:
                level += self.tier * k1
            if isinstance(obs, dict) and not obs["action_mask"][level]:
                level = 0
            return level
        action = np.zeros(space.shape, dtype=np.float32)
        action[:nt] = -1.0
        action[self.tier] = 2.0 * bid - 1.0
        return action


class RandomBidder(Policy):
    name = "random"

    def act(self, obs: Any, agent: str) -> Any:
        space = self.spaces[agent]
        if isinstance(space, spaces.Discrete):
            mask = obs["action_mask"] if isinstance(obs, dict) else np.ones(space.n, np.int8)
            return int(self.rng.choice(np.flatnonzero(mask)))
        return self.rng.uniform(-1.0, 1.0, space.shape).astype(np.float32)


class TruthfulBidder(Policy):
    name = "truthful"

    def act(self, obs: Any, agent: str) -> Any:
        v = self._vector(obs)
        if not self._affordable(v):
            return self._bid_action(obs, agent, 0.0)
        return self._bid_action(obs, agent, float(v[self.layout.index("confidence")]))


class AlwaysSpeak(Policy):
    name = "always"

    def act(self, obs: Any, agent: str) -> Any:
        return self._bid_action(obs, agent, 1.0)


class Silent(Policy):
    name = "silent"

    def act(self, obs: Any, agent: str) -> Any:
        return self._bid_action(obs, agent, 0.0)


class RoundRobin(Policy):
    name = "round_robin"

    def act(self, obs: Any, agent: str) -> Any:
        v = self._vector(obs)
        played = round(float(v[self.layout.index("round")]) * self.max_rounds)
        me = int(np.argmax(v[self.layout.slice("agent_id")]))
        return self._bid_action(obs, agent, 1.0 if played % self.n_agents == me else 0.0)


POLICIES: dict[str, Callable[..., Policy]] = {
    p.name: p for p in (RandomBidder, TruthfulBidder, AlwaysSpeak, Silent, RoundRobin)
}


def _tier_variant(base: type[Policy], tier: str) -> type[Policy]:
    name = f"{base.name}_{tier}"
    doc = f"``{base.name}`` bidding on the ``{tier}`` tier (the first tier when not offered)."
    cls = type(
        "".join(w.capitalize() for w in name.split("_")), (base,), {"name": name, "__doc__": doc}
    )
    cls.tier_name = tier
    cls.__module__ = __name__
    return cls


TruthfulSummary = _tier_variant(TruthfulBidder, "summary")
TruthfulKeywords = _tier_variant(TruthfulBidder, "keywords")
AlwaysSummary = _tier_variant(AlwaysSpeak, "summary")
AlwaysKeywords = _tier_variant(AlwaysSpeak, "keywords")
RoundRobinSummary = _tier_variant(RoundRobin, "summary")
RoundRobinKeywords = _tier_variant(RoundRobin, "keywords")

TIER_POLICIES: dict[str, Callable[..., Policy]] = {
    p.name: p
    for p in (
        TruthfulSummary,
        TruthfulKeywords,
        AlwaysSummary,
        AlwaysKeywords,
        RoundRobinSummary,
        RoundRobinKeywords,
    )
}
"""Tier-specific bidders for ``tiers`` envs (not entry points: build them with
``make_policy("econ_env_baselines.auction:TruthfulSummary", spec)`` or directly)."""

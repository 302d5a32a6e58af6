"""Baseline bidding policies for auction_v0.

- ``random``: a uniformly random action (masked levels excluded).
- ``truthful``: bids its own confidence (exp of the draft's mean log-probability) whenever its
  draft can be broadcast — truthful bidding of the value it believes its message has.
- ``always``: bids the maximum every round; with ``top_k = n_agents`` this is multi-agent
  debate (everyone speaks every round).
- ``silent``: never bids; the final answer is the majority of independent drafts
  (self-consistency / majority vote, zero billed tokens).
- ``round_robin``: bids the maximum only in rounds where ``round % n_agents`` is its index.

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
    """Base class of the bidders: a :class:`SpecPolicy` that encodes bids as actions."""

    def _bid_action(self, obs: Any, agent: str, bid: float) -> Any:
        """Encode a bid in [0, 1] as an action of the agent's space (respecting the mask)."""
        space = self.spaces[agent]
        if isinstance(space, spaces.Discrete):
            level = round(bid * (space.n - 1))
            if isinstance(obs, dict) and not obs["action_mask"][level]:
                level = 0
            return level
        action = np.zeros(space.shape, dtype=np.float32)
        action[0] = 2.0 * bid - 1.0
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
        if v[self.layout.index("affordable")] < 0.5:
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

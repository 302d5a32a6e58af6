"""Tianshou 2.0.1 adapter for econ-env's round-settled AEC environments.

Tianshou's multi-agent support (``tianshou.env.PettingZooEnv`` plus
``MultiAgentOnPolicyAlgorithm`` / ``MultiAgentOffPolicyAlgorithm``) has three defects for our
games, each reproduced in ``tests/integrations/test_tianshou.py`` and fixed here:

1. **Reward credit.** The stock wrapper returns the *instantaneous* ``env.rewards`` after each
   step and the dispatcher gives a transition the column of the agent that acted. In a
   round-settled game the round's rewards appear when the last agent of the round acts, so only
   that agent ever learns. :class:`TianshouAECEnv` instead credits the acting agent with the
   reward it accumulated since its previous turn (PettingZoo's ``_cumulative_rewards``, what
   ``env.last()`` shows it) and, once the game is over, keeps the Tianshou episode running
   through PettingZoo's dead steps so that every agent receives its final rewards on a
   transition of its own. Summed over an episode, each agent's transitions carry exactly the
   env's per-agent rewards. The credit is one own turn late (a transition carries the result of
   the agent's previous action, the dead step the result of its last one); the shift is known
   before the action, so policy gradients and Q-value differences are unbiased, and
   :func:`chain_agent_transitions` realigns it exactly for learners that want each reward on the
   action that caused it (the DALA MAPPO agent does).
2. **Mask-less observations.** ``MultiAgentPolicy.forward`` reads ``batch.obs_next`` for any
   observation without an action mask and crashes during collection (continuous actions).
   :class:`MaskFreeMultiAgentPolicy` fixes it; :class:`MultiAgentOnPolicy` and
   :class:`MultiAgentOffPolicy` are the stock algorithms built with it.
3. **Action scaling.** ``MultiAgentPolicy`` turns action scaling off, so Gaussian policies hand
   unbounded actions to the env. The adapter maps ``Box`` actions into the space itself
   (``action_bound="clip"`` or ``"tanh"``).

Observations are dicts (Tianshou stores them as a ``Batch``): ``agent_id`` (name),
``agent_index`` (int), ``obs`` (the env's float32 vector), ``mask`` (bool, discrete actions
only), ``state`` (``env.state()``, the global state for centralised critics; off with
``include_state=False``) and ``alive`` (1.0, or 0.0 on a dead step whose action is ignored).
``info`` has fixed numeric keys: ``alive``, ``billed_tokens``, ``generated_tokens``,
``correct`` (-1 until the game is over, then 0 or 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from tianshou.algorithm.algorithm_base import OffPolicyAlgorithm, OnPolicyAlgorithm
from tianshou.algorithm.multiagent.marl import (
    MARLDispatcher,
    MultiAgentOffPolicyAlgorithm,
    MultiAgentOnPolicyAlgorithm,
    MultiAgentPolicy,
)
from tianshou.data import Batch
from tianshou.env import PettingZooEnv
from torch.nn import ModuleList

__all__ = [
    "ACTION_BOUNDS",
    "MaskFreeMultiAgentPolicy",
    "MultiAgentOffPolicy",
    "MultiAgentOnPolicy",
    "TianshouAECEnv",
    "chain_agent_transitions",
]

ACTION_BOUNDS = ("clip", "tanh")


class TianshouAECEnv(PettingZooEnv):
    """A ``tianshou.env.PettingZooEnv`` with per-agent reward credit, dead steps, the global
    state and action bounding (see the module docstring).

    ``env`` is an AEC env (e.g. ``econ_env.auction_v0.env()``); all agents must share spaces.
    """

    def __init__(self, env: Any, *, include_state: bool = True, action_bound: str = "clip") -> None:
        if action_bound not in ACTION_BOUNDS:
            raise ValueError(f"action_bound must be one of {ACTION_BOUNDS}, got {action_bound!r}")
        if include_state and not hasattr(env, "state_space"):
            raise ValueError(f"{env} has no state_space; pass include_state=False")
        self.include_state = include_state
        self.action_bound = action_bound
        super().__init__(env)  # resets once

    # ------------------------------------------------------------------ observations
    def _observation(self, agent: str) -> dict[str, Any]:
        raw = self.env.observe(agent)
        out: dict[str, Any] = {"agent_id": agent, "agent_index": self.agent_idx[agent]}
        if isinstance(raw, dict) and "action_mask" in raw:
            out["obs"] = raw["observation"]
            out["mask"] = raw["action_mask"].astype(bool)
        else:
            out["obs"] = raw
            if isinstance(self.action_space, spaces.Discrete):
                out["mask"] = np.ones(self.action_space.n, dtype=bool)
        if self.include_state:
            out["state"] = self.env.state()
        out["alive"] = np.float32(not self._dead(agent))
        return out

    def _dead(self, agent: str) -> bool:
        return bool(self.env.terminations.get(agent, True) or self.env.truncations.get(agent, True))

    def _info(self, agent: str, fallback: dict | None = None) -> dict[str, Any]:
        raw = self.env.unwrapped.infos.get(agent) or fallback or {}
        over = raw.get("game_over", False)
        return {
            "alive": not self._dead(agent),
            "billed_tokens": int(raw.get("billed_tokens", 0)),
            "generated_tokens": int(raw.get("generated_tokens", 0)),
            "correct": float(raw.get("correct", False)) if over else -1.0,
        }

    def map_action(self, action: Any) -> Any:
        """Bound a policy's action to the env's action space (ints for ``Discrete``)."""
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            return int(np.asarray(action).reshape(-1)[0])
        a = np.asarray(action, dtype=np.float32).reshape(space.shape)
        if not np.all(np.isfinite(a)):
            return a  # the env raises a ValueError naming the agent
        if self.action_bound == "tanh":
            return (space.low + (np.tanh(a) + 1.0) / 2.0 * (space.high - space.low)).astype(
                np.float32
            )
        return np.clip(a, space.low, space.high).astype(np.float32)

    # ------------------------------------------------------------------ API
    def reset(self, *args: Any, **kwargs: Any) -> tuple[dict, dict]:
        self.env.reset(*args, **kwargs)
        self.rewards = [0.0] * len(self.agents)
        self._last_agent = self.env.agent_selection
        return self._observation(self._last_agent), self._info(self._last_agent)

    def step(self, action: Any) -> tuple[dict, list[float], bool, bool, dict]:
        agent = self.env.agent_selection
        idx = self.agent_idx[agent]
        credited = float(self.env._cumulative_rewards.get(agent, 0.0))
        before = dict(self.env.unwrapped.infos.get(agent) or {})
        self.env.step(None if self._dead(agent) else self.map_action(action))
        self.rewards = [0.0] * len(self.agents)
        self.rewards[idx] = credited
        base = self.env.unwrapped
        if self.env.agents:  # next turn (a live agent, or a dead step to take)
            self._last_agent = self.env.agent_selection
            return (
                self._observation(self._last_agent),
                self.rewards,
                False,
                False,
                self._info(self._last_agent),
            )
        # every agent has taken its dead step: the Tianshou episode ends here
        truncated = any(base.truncations.values()) and not any(base.terminations.values())
        obs = self._observation(agent)
        return obs, self.rewards, not truncated, truncated, self._info(agent, before)


class MaskFreeMultiAgentPolicy(MultiAgentPolicy):
    """``MultiAgentPolicy`` whose ``forward`` works for observations without ``mask``.

    Sub-policies receive ``obs.obs`` (the plain vector) when there is no mask, as upstream
    intends, and the whole observation ``Batch`` otherwise.
    """

    def forward(self, batch: Batch, state: dict | Batch | None = None, **kwargs: Any) -> Batch:
        parts: list[tuple[Any, np.ndarray, Batch]] = []
        for agent_id, policy in self.policies.items():
            index = np.nonzero(batch.obs.agent_id == agent_id)[0]
            if len(index) == 0:
                parts.append((agent_id, index, Batch()))
                continue
            sub = batch[index]
            if not hasattr(sub.obs, "mask") and hasattr(sub.obs, "obs"):
                sub.obs = sub.obs.obs
                if "obs_next" in sub.get_keys() and hasattr(sub.obs_next, "obs"):
                    sub.obs_next = sub.obs_next.obs
            out = policy(batch=sub, state=None if state is None else state[agent_id], **kwargs)
            parts.append((agent_id, index, out))
        holder = Batch.cat([{"act": out.act} for _, index, out in parts if len(index)])
        state_dict, out_dict = {}, {}
        for agent_id, index, out in parts:
            if len(index):
                holder.act[index] = out.act
            has_state = hasattr(out, "state") and out.state is not None
            state_dict[agent_id] = out.state if has_state else Batch()
            out_dict[agent_id] = out
        holder["out"] = out_dict
        holder["state"] = state_dict
        return holder


class MultiAgentOnPolicy(MultiAgentOnPolicyAlgorithm):
    """Tianshou's ``MultiAgentOnPolicyAlgorithm`` with :class:`MaskFreeMultiAgentPolicy`."""

    def __init__(self, *, algorithms: list[OnPolicyAlgorithm], env: PettingZooEnv) -> None:
        self._dispatcher = MARLDispatcher(algorithms, env)
        policies = {a: alg.policy for a, alg in self._dispatcher.algorithms.items()}
        OnPolicyAlgorithm.__init__(self, policy=MaskFreeMultiAgentPolicy(policies))
        self._submodules = ModuleList(algorithms)


class MultiAgentOffPolicy(MultiAgentOffPolicyAlgorithm):
    """Tianshou's ``MultiAgentOffPolicyAlgorithm`` with :class:`MaskFreeMultiAgentPolicy`."""

    def __init__(self, *, algorithms: list[OffPolicyAlgorithm], env: PettingZooEnv) -> None:
        self._dispatcher = MARLDispatcher(algorithms, env)
        policies = {a: alg.policy for a, alg in self._dispatcher.algorithms.items()}
        OffPolicyAlgorithm.__init__(self, policy=MaskFreeMultiAgentPolicy(policies))
        self._submodules = ModuleList(algorithms)


def chain_agent_transitions(
    agent_index: np.ndarray,
    alive: np.ndarray,
    credited: np.ndarray,
    done: np.ndarray,
    new_sequence: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Realign :class:`TianshouAECEnv` transitions into per-agent chains.

    Inputs are per transition, in collection order (one env's episodes back to back, or several
    envs' sequences concatenated, each ending with a finished episode): the acting agent's
    index, whether it was alive, the reward credited to it (``rew[t, agent_index[t]]``) and the
    episode-end flag; ``new_sequence`` marks positions where another env's sequence starts
    (needed only when a sequence may end in an unfinished episode). Returns arrays of the same
    length:

    - ``reward``: the reward caused by this transition's action (the credit of the agent's
      next own transition in the episode);
    - ``next``: the position of that next own transition (its observation is this action's
      successor state for the agent); ``-1`` when there is none;
    - ``last``: True for the agent's last live transition of the episode (no bootstrap);
    - ``valid``: alive and followed by an own transition in a finished episode (train on these).
    """
    agent_index = np.asarray(agent_index, dtype=np.int64)
    alive = np.asarray(alive, dtype=bool)
    credited = np.asarray(credited, dtype=np.float64)
    done = np.asarray(done, dtype=bool)
    n = len(agent_index)
    reward = np.zeros(n)
    nxt = np.full(n, -1, dtype=np.int64)
    last = np.zeros(n, dtype=bool)
    valid = np.zeros(n, dtype=bool)
    pending: dict[int, int] = {}  # agent -> position of its previous transition this episode
    starts = np.zeros(n, dtype=bool) if new_sequence is None else np.asarray(new_sequence, bool)
    for t in range(n):
        if starts[t]:
            pending = {}
        a = int(agent_index[t])
        prev = pending.get(a)
        if prev is not None:
            reward[prev] = credited[t]
            nxt[prev] = t
            valid[prev] = alive[prev]
            last[prev] = not alive[t]
        pending[a] = t
        if done[t]:
            pending = {}
    return {"reward": reward, "next": nxt, "last": last, "valid": valid}

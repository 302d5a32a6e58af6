"""Play one episode of a PettingZoo AEC environment: the one loop every part of econ-env uses.

``play_episode(env, act, seed=..., options=...)`` resets the env and steps it until every agent
is done: ``act(obs, agent)`` chooses each live agent's action and dead agents get PettingZoo's
``None`` step. An optional ``observe(agent, obs, reward, terminated, truncated, info)`` sees
every ``env.last()`` view before the step (the shipped checks record views with it; the
benchmark records actions through ``act``). The result has each agent's return (the sum of the
rewards it was credited, including the final one) and each agent's last info.

The CLI, the benchmark runner and verifier, calibration, the shipped checks and the throughput
benchmark all play episodes through this function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EpisodeResult", "play_episode"]

Act = Callable[[Any, str], Any]
Observe = Callable[[str, Any, float, bool, bool, dict], None]


@dataclass
class EpisodeResult:
    """What one episode left: per-agent returns, last infos and the number of actions taken."""

    returns: dict[str, float] = field(default_factory=dict)
    final_infos: dict[str, dict] = field(default_factory=dict)
    actions: int = 0

    @property
    def info(self) -> dict:
        """The last agent's final info (every agent shares the episode's ending fields)."""
        return next(reversed(self.final_infos.values()), {})


def play_episode(
    env: Any,
    act: Act,
    *,
    seed: int | None = None,
    options: dict | None = None,
    observe: Observe | None = None,
    max_steps: int | None = None,
    reset: bool = True,
) -> EpisodeResult:
    """Reset ``env`` (unless ``reset=False``) and play it to the end with ``act(obs, agent)``.

    ``max_steps`` bounds the number of agent turns (dead steps included), as
    ``env.agent_iter(max_steps)`` does.
    """
    if reset:
        env.reset(seed=seed, options=options)
    result = EpisodeResult(returns=dict.fromkeys(env.possible_agents, 0.0))
    iterator = env.agent_iter() if max_steps is None else env.agent_iter(max_steps)
    for agent in iterator:
        obs, reward, terminated, truncated, info = env.last()
        result.returns[agent] = result.returns.get(agent, 0.0) + float(reward)
        if observe is not None:
            observe(agent, obs, reward, terminated, truncated, info)
        if terminated or truncated:
            result.final_infos[agent] = info
            env.step(None)
            continue
        action = act(obs, agent)
        result.actions += 1
        env.step(action)
    return result

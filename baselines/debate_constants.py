"""Constant beliefs for debate_v0: every executor plays one fixed (temperature, repetition) belief.

ECON's claim is that beliefs adapted to the state beat every fixed setting. The named policies
of :mod:`econ_env_baselines.debate` set only the temperature dimension of the belief; a learner
that also moves the repetition-penalty dimension (``b[2]``, which shortens answers) can beat
them with a constant. So a learner is compared with the *constant beliefs* too:

- :data:`GRID`: the (temperature, repetition) pairs tried (5 temperatures × 4 repetition
  penalties, the grid of ``benchmarks/econ_regimes.py``);
- :class:`ConstantBelief`: one of them as a text-env policy (``act(obs, agent)``), built from the
  env's public description like every baseline;
- :func:`best_constants`: the grid ranked on the batched twin (:mod:`econ_env.vector`, thousands
  of episodes in seconds), so that only the best few need the slower text env;
- :func:`fixed_beliefs`: every fixed belief a learner is compared with, by name: the named
  policies of :mod:`econ_env_baselines.debate` and the best few constants.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from gymnasium import spaces

from econ_env.core.spec import EnvSpec
from econ_env_baselines.base import SpecPolicy

__all__ = ["GRID", "ConstantBelief", "best_constants", "fixed_beliefs"]

GRID: tuple[tuple[float, float], ...] = tuple(
    itertools.product((-1.0, -0.5, 0.0, 0.5, 1.0), (-1.0, 0.0, 0.5, 1.0))
)
"""(temperature, repetition) levels of the constant beliefs, each in [-1, 1]."""


class ConstantBelief(SpecPolicy):
    """Every executor plays ``b[0] = temperature``, ``b[2] = repetition`` (when the belief has
    a third dimension), every other dimension 0, whatever it observes.

    Continuous actions only: the discrete variant's presets vary the temperature alone (the
    named policies of :mod:`econ_env_baselines.debate` cover them).
    """

    def __init__(
        self, spec: EnvSpec, seed: int = 0, *, temperature: float = 0.0, repetition: float = 0.0
    ) -> None:
        super().__init__(spec, seed)
        for field, value in (("temperature", temperature), ("repetition", repetition)):
            if not (math.isfinite(value) and -1.0 <= value <= 1.0):
                raise ValueError(f"ConstantBelief.{field} must lie in [-1, 1], got {value!r}")
        if not isinstance(spec.action_space, spaces.Box):
            raise ValueError(
                "ConstantBelief needs debate_v0's continuous belief actions "
                f"(action_type='continuous'), got {spec.action_space}"
            )
        self.temperature, self.repetition = float(temperature), float(repetition)
        self.name = f"const(t={temperature:+.1f},r={repetition:+.1f})"
        self.belief = np.zeros(spec.action_space.shape, dtype=np.float32)
        self.belief[0] = temperature
        if self.belief.shape[0] > 2:
            self.belief[2] = repetition

    def act(self, obs: Any, agent: str) -> np.ndarray:
        """The constant belief (a copy: callers may modify it)."""
        return self.belief.copy()


def best_constants(
    config: dict[str, Any], k: int = 3, episodes: int = 4096, seed: int = 0
) -> list[tuple[float, float, float]]:
    """The ``k`` constant beliefs of :data:`GRID` with the highest mean team return on the
    batched twin of ``config`` (one episode in each of ``episodes`` rows, reset with ``seed``;
    every constant plays the same episodes): ``(temperature, repetition, mean)``, best first.
    """
    import torch

    from econ_env import vector

    if not 1 <= k <= len(GRID):
        raise ValueError(f"k must lie in [1, {len(GRID)}], got {k!r}")
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes!r}")
    env = vector.debate(num_envs=episodes, device="cpu", seed=seed, **config)
    env.autoreset = False
    dim = env.config.belief_dim
    scores = []
    for t, r in GRID:
        action = torch.zeros(env.num_envs, env.n_agents, dim)
        action[..., 0] = t
        if dim > 2:
            action[..., 2] = r
        env.reset(seed=seed)
        total = torch.zeros(env.num_envs, dtype=torch.float64)
        while not bool(env.done.all()):
            _, reward, *_ = env.step(action)
            total += reward.sum(1)
        scores.append((float(total.mean()), t, r))
    scores.sort(key=lambda s: -s[0])  # stable: ties keep the grid's order
    return [(t, r, m) for m, t, r in scores[:k]]


def fixed_beliefs(
    config: dict[str, Any], constants: int = 3, seed: int = 0
) -> dict[str, SpecPolicy]:
    """Every fixed belief of debate_v0 with ``config``, by name: the named policies of
    :mod:`econ_env_baselines.debate` (seeded with ``seed``) and, with continuous actions, the
    ``constants`` best constant beliefs of :func:`best_constants` (ranked with ``seed``; 0: none).
    """
    from econ_env import debate_v0
    from econ_env_baselines.debate import DEBATE_POLICIES

    spec = debate_v0.env_spec(**config)
    out: dict[str, SpecPolicy] = {k: cls(spec, seed=seed) for k, cls in DEBATE_POLICIES.items()}
    if constants and isinstance(spec.action_space, spaces.Box):
        for t, r, _ in best_constants(config, k=constants, seed=seed):
            pol = ConstantBelief(spec, temperature=t, repetition=r)
            out[pol.name] = pol
    return out

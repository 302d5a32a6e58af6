"""Validation of agents' actions, shared by the environments.

Both helpers raise ``ValueError`` naming the agent and the allowed values, before anything in
the game changes. Finite continuous values outside [-1, 1] are clipped (Tianshou's multi-agent
mode does not rescale actions); NaN and infinity are errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def box_action(agent: str, action: Any, dim: int, *, scalar_ok: bool = False) -> np.ndarray:
    """A finite action of shape ``(dim,)`` clipped to [-1, 1] (a scalar too if ``scalar_ok``)."""
    if action is None:
        raise ValueError(f"{agent}: action must be an array of shape ({dim},), got None")
    a = np.asarray(action, dtype=np.float64)
    if scalar_ok and a.shape == () and dim == 1:
        a = a.reshape(1)
    if a.shape != (dim,):
        raise ValueError(f"{agent}: action must have shape ({dim},), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{agent}: action must be finite, got {a.tolist()}")
    return np.clip(a, -1.0, 1.0)


def discrete_action(agent: str, action: Any, n: int) -> int:
    """An integer action in ``[0, n)`` (Python or numpy ints, 0-d integer arrays)."""
    if action is None or isinstance(action, (bool, np.bool_)):
        raise ValueError(f"{agent}: action must be an int in [0, {n - 1}], got {action!r}")
    a = np.asarray(action)
    if a.shape != () or not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{agent}: action must be a scalar int in [0, {n - 1}], got {action!r}")
    level = int(a)
    if not 0 <= level < n:
        raise ValueError(f"{agent}: action {level} is out of range [0, {n - 1}]")
    return level

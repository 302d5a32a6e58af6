"""Helpers for the environments' frozen config dataclasses: field checks and ``make_config``.

Every error is a ``ValueError`` that names the environment, the field, its value and the
allowed range; unknown keys are named with the list of allowed keys.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Any, TypeVar

import numpy as np

C = TypeVar("C")

MAX_AGENTS = 256
"""The most agents a game accepts (the global state grows with its square)."""
MAX_BUDGET = 10**9
"""The largest token budget (and round cap) a game accepts."""
MAX_ROUNDS = 10_000
"""The most rounds an episode may be configured to last."""
MAX_TOKENS = 32768
"""The largest completion cap of one generation."""


def normalise_numbers(config: Any) -> None:
    """Replace numpy scalars in a (frozen) config's fields by the Python value they hold, so
    ``n_agents=np.int64(3)`` is ``n_agents=3`` (array-valued fields are left as they are)."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, np.generic):
            object.__setattr__(config, f.name, value.item())


def is_int(v: Any) -> bool:
    """An int that is not a bool."""
    return isinstance(v, int) and not isinstance(v, bool)


def is_real(v: Any) -> bool:
    """A finite int or float that is not a bool."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def require(config: Any, env_name: str, ok: bool, field: str, allowed: str) -> None:
    """Raise ``ValueError`` naming ``field`` of ``config`` when ``ok`` is false."""
    if not ok:
        value = getattr(config, field)
        raise ValueError(f"{env_name}: {field}={value!r} is invalid; allowed: {allowed}")


def make_config(cls: type[C], env_name: str, config: C | None, kwargs: dict[str, Any]) -> C:
    """``config`` (or the defaults of ``cls``) with ``kwargs`` applied, validated."""
    fields = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    unknown = sorted(set(kwargs) - set(fields))
    if unknown:
        raise ValueError(
            f"{env_name}: unknown config key(s) {unknown}; allowed keys: {', '.join(fields)}"
        )
    base = config if config is not None else cls()
    return dataclasses.replace(base, **kwargs) if kwargs else base  # type: ignore[type-var]


def env_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """An env factory's keyword arguments as config fields: PettingZoo's ``max_cycles`` is an
    alias of ``max_rounds`` (and wins when both are given)."""
    if "max_cycles" not in kwargs:
        return kwargs
    out = {k: v for k, v in kwargs.items() if k != "max_cycles"}
    out["max_rounds"] = kwargs["max_cycles"]
    return out


REWARD_SETTINGS = ("reward_mode", "alpha_al", "alpha_ts", "alpha_cc", "cost_weight")
"""Config fields that name a built-in reward (a ``reward`` object replaces them)."""


def version_kwargs(defaults: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """A versioned env's keyword arguments: its ``defaults`` (``auction_v1``, ``debate_v1``)
    under the caller's ``kwargs``, with two exceptions so that every caller setting stays valid:

    - default ``backend_kwargs`` are the simulated backend's parameters; they are dropped when
      the caller names another backend (an object or a spec other than ``simulated[:seed]``)
      without its own ``backend_kwargs``;
    - default reward weights (:data:`REWARD_SETTINGS`) are dropped when the caller gives a
      ``reward`` object (the configs accept one or the other).
    """
    if not defaults:
        return kwargs
    drop: set[str] = set()
    backend = kwargs.get("backend", "simulated")
    if not (isinstance(backend, str) and backend.split(":", 1)[0] == "simulated"):
        drop.add("backend_kwargs")
    if kwargs.get("reward") is not None:
        drop.update(REWARD_SETTINGS)
    kept = {k: copy.deepcopy(v) for k, v in defaults.items() if k not in drop}  # never shared
    return {**kept, **kwargs}

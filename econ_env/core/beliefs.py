"""Belief vectors → valid generation parameters.

A belief action ``b ∈ [-1, 1]^d`` (ECON executors, DALA's belief dims) is mapped linearly to
sampling parameters that every backend accepts:

- ``b[0]`` → temperature in ``[t_min, t_max]``;
- ``b[1]`` → top_p in ``[top_p_min, top_p_max]``;
- ``b[2]`` → repetition penalty in ``[1.0, rep_max]`` (1.0 is neutral and the minimum);
- further dims are ignored here (reserved for soft-prompt beliefs on local models).

Missing dims take the defaults (``default_temperature``, ``default_top_p``, penalty 1.0).
Values outside ``[-1, 1]`` are clipped; NaN or infinite values raise ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["BeliefMap", "GenerationParams"]


def _finite_float(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite float, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite float, got {value!r}")
    return v


@dataclass(frozen=True)
class GenerationParams:
    """Sampling parameters for one generation call.

    Attributes:
        temperature: >= 0 (0 means greedy).
        top_p: nucleus mass in (0, 1].
        repetition_penalty: >= 1.0 (1.0 is neutral).
    """

    temperature: float
    top_p: float
    repetition_penalty: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.temperature) and self.temperature >= 0.0):
            raise ValueError(f"temperature must be a finite float >= 0, got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if not (math.isfinite(self.repetition_penalty) and self.repetition_penalty >= 1.0):
            raise ValueError(
                f"repetition_penalty must be a finite float >= 1.0, got {self.repetition_penalty}"
            )

    def as_kwargs(self) -> dict[str, float]:
        """``{"temperature", "top_p", "repetition_penalty"}`` for ``GenRequest(**...)``."""
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "repetition_penalty": self.repetition_penalty,
        }


@dataclass(frozen=True)
class BeliefMap:
    """Linear map from a belief vector to :class:`GenerationParams`.

    Attributes:
        t_min: temperature at ``b[0] = -1`` (>= 0, < t_max).
        t_max: temperature at ``b[0] = +1``.
        top_p_min: top_p at ``b[1] = -1`` (in (0, top_p_max]).
        top_p_max: top_p at ``b[1] = +1`` (<= 1).
        rep_max: repetition penalty at ``b[2] = +1`` (>= 1.0); ``b[2] = -1`` gives 1.0.
        default_temperature: temperature when ``b`` has no dim 0 (in [t_min, t_max]).
        default_top_p: top_p when ``b`` has no dim 1 (in [top_p_min, top_p_max]).
    """

    t_min: float = 0.1
    t_max: float = 1.3
    top_p_min: float = 0.5
    top_p_max: float = 1.0
    rep_max: float = 1.3
    default_temperature: float = 0.7
    default_top_p: float = 1.0

    def __post_init__(self) -> None:
        for name in (
            "t_min",
            "t_max",
            "top_p_min",
            "top_p_max",
            "rep_max",
            "default_temperature",
            "default_top_p",
        ):
            object.__setattr__(self, name, _finite_float(name, getattr(self, name)))
        if not 0.0 <= self.t_min < self.t_max:
            raise ValueError(
                f"t_min must satisfy 0 <= t_min < t_max, got t_min={self.t_min}, t_max={self.t_max}"
            )
        if not 0.0 < self.top_p_min <= self.top_p_max <= 1.0:
            raise ValueError(
                f"top_p_min/top_p_max must satisfy 0 < top_p_min <= top_p_max <= 1, got "
                f"top_p_min={self.top_p_min}, top_p_max={self.top_p_max}"
            )
        if not self.rep_max >= 1.0:
            raise ValueError(f"rep_max must be >= 1.0, got {self.rep_max}")
        if not self.t_min <= self.default_temperature <= self.t_max:
            raise ValueError(
                f"default_temperature must be in [t_min, t_max] = [{self.t_min}, {self.t_max}],"
                f" got {self.default_temperature}"
            )
        if not self.top_p_min <= self.default_top_p <= self.top_p_max:
            raise ValueError(
                f"default_top_p must be in [top_p_min, top_p_max] = "
                f"[{self.top_p_min}, {self.top_p_max}], got {self.default_top_p}"
            )

    @property
    def defaults(self) -> GenerationParams:
        """The parameters for an empty or absent belief."""
        return GenerationParams(self.default_temperature, self.default_top_p, 1.0)

    def to_params(self, belief: ArrayLike | None) -> GenerationParams:
        """Map ``belief`` (any length; dims beyond 3 ignored) to generation parameters."""
        if belief is None:
            return self.defaults
        if isinstance(belief, np.ndarray):
            if belief.ndim > 1:
                raise ValueError(f"belief must be 1-D, got shape {belief.shape}")
            vals: Sequence[Any] = belief.reshape(-1).tolist()
        elif isinstance(belief, (list, tuple)):
            vals = belief
        else:
            arr = np.asarray(belief, dtype=np.float64)
            if arr.ndim > 1:
                raise ValueError(f"belief must be 1-D, got shape {arr.shape}")
            vals = arr.reshape(-1).tolist()
        n = len(vals)
        if n == 0:
            return self.defaults
        try:
            fvals = [float(v) for v in vals]
        except (TypeError, ValueError):
            raise ValueError("belief must be a 1-D sequence of finite floats") from None
        for i, v in enumerate(fvals):
            if not math.isfinite(v):
                raise ValueError(f"belief must be finite, got belief[{i}]={v}")
        # u in [0, 1] after clipping b to [-1, 1].
        u0 = (min(1.0, max(-1.0, fvals[0])) + 1.0) * 0.5
        temperature = self.t_min + u0 * (self.t_max - self.t_min)
        if n > 1:
            u1 = (min(1.0, max(-1.0, fvals[1])) + 1.0) * 0.5
            top_p = self.top_p_min + u1 * (self.top_p_max - self.top_p_min)
        else:
            top_p = self.default_top_p
        if n > 2:
            u2 = (min(1.0, max(-1.0, fvals[2])) + 1.0) * 0.5
            rep = 1.0 + u2 * (self.rep_max - 1.0)
        else:
            rep = 1.0
        # Guard against rounding just outside the ranges.
        temperature = min(self.t_max, max(self.t_min, temperature))
        top_p = min(self.top_p_max, max(self.top_p_min, top_p))
        rep = min(self.rep_max, max(1.0, rep))
        return GenerationParams(temperature, top_p, rep)

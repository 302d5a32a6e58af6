"""Settings of DALA's α-REINFORCE bidder (:class:`AlphaConfig`), validated on construction.

:mod:`econ_env_agents.dala.alpha` (the bidder and its text-env trainer) re-exports everything
here; the bidding rule and the meaning of ``tiers`` are described there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["TIER_MODES", "UTILITIES", "AlphaConfig"]

UTILITIES = ("logprob", "entropy", "heuristic")
TIER_MODES = ("first", "choose")
"""What a bidder offers with message tiers (``AlphaConfig.tiers``)."""


def _need(ok: bool, name: str, allowed: str, value: Any) -> None:
    if not ok:
        raise ValueError(f"AlphaConfig.{name} must be {allowed}, got {value!r}")


@dataclass(frozen=True)
class AlphaConfig:
    """Settings of the α-REINFORCE bidder and its trainer.

    Attributes:
        utility: û estimator, one of ``logprob``, ``entropy``, ``heuristic``.
        alpha_init: initial α of every agent (> 0); the untrained agent bids with it.
        sigma: standard deviation of the per-episode exploration of log α (> 0).
        lr: Adam learning rate of the μ (and, with ``tiers="choose"``, θ) parameters (> 0).
        baseline_decay: β of the moving-average baseline ``b ← β·b + (1 − β)·mean G``, in [0, 1).
        min_bid: bids below it are not submitted (silence), in [0, 1).
        length_floor: lower bound of L̂ (the draft-length fraction), in (0, 1].
        episodes: training episodes of :func:`train_alpha` (>= 1).
        batch_episodes: episodes per REINFORCE update (>= 1).
        antithetic: draw exploration noise in mirrored pairs (+ε, −ε) and play both episodes of a
            pair on the same env seed (common random numbers): a large variance reduction for the
            same REINFORCE estimator; ``batch_episodes`` must then be even.
        tiers: with message tiers, ``"first"`` (offer the first tier) or ``"choose"`` (learn
            which tier to offer); see the module docstring. Without tiers both are the
            single-offer bidder.
        seed: seed of the exploration generator and of the training episodes' env seeds.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda[:N]"``.
    """

    utility: str = "logprob"
    alpha_init: float = 1.0
    sigma: float = 0.5
    lr: float = 0.1
    baseline_decay: float = 0.9
    min_bid: float = 0.5
    length_floor: float = 0.01
    episodes: int = 3000
    batch_episodes: int = 32
    antithetic: bool = True
    tiers: str = "first"
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        _need(self.utility in UTILITIES, "utility", f"one of {UTILITIES}", self.utility)
        for name in ("alpha_init", "sigma", "lr"):
            v = getattr(self, name)
            _need(_real(v) and math.isfinite(v) and v > 0, name, "a finite float > 0", v)
        _need(
            _real(self.baseline_decay) and 0 <= self.baseline_decay < 1,
            "baseline_decay",
            "a float in [0, 1)",
            self.baseline_decay,
        )
        _need(_real(self.min_bid) and 0 <= self.min_bid < 1, "min_bid", "in [0, 1)", self.min_bid)
        _need(
            _real(self.length_floor) and 0 < self.length_floor <= 1,
            "length_floor",
            "a float in (0, 1]",
            self.length_floor,
        )
        for name in ("episodes", "batch_episodes"):
            v = getattr(self, name)
            _need(_int(v) and v >= 1, name, "an integer >= 1", v)
        _need(isinstance(self.antithetic, bool), "antithetic", "True or False", self.antithetic)
        _need(
            not self.antithetic or self.batch_episodes % 2 == 0,
            "batch_episodes",
            "an even integer when antithetic=True",
            self.batch_episodes,
        )
        _need(self.tiers in TIER_MODES, "tiers", f"one of {TIER_MODES}", self.tiers)
        _need(_int(self.seed) and self.seed >= 0, "seed", "an integer >= 0", self.seed)
        _need(isinstance(self.device, str), "device", "'auto', 'cpu' or 'cuda[:N]'", self.device)


def _real(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

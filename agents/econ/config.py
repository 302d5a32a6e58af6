"""Configuration of the ECON reference agent: a frozen dataclass validated at construction.

:class:`EconConfig` holds the network sizes, the loss weights, the exploration schedule and the
belief prototypes (the discrete set of belief vectors the Q-heads choose from, see
:mod:`econ_env_agents.econ.learner`). Every field is checked in ``__post_init__``; a bad value
raises ``ValueError`` naming the field and its allowed range.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["EconConfig", "belief_prototypes"]


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _is_real(x: Any) -> bool:
    return (
        isinstance(x, (int, float, np.integer, np.floating))
        and not isinstance(x, bool)
        and math.isfinite(float(x))
    )


@dataclass(frozen=True)
class EconConfig:
    """All settings of an ECON learner.

    Attributes:
        seed: seeds the weight init (a torch.Generator), exploration and replay sampling.
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"`` (resolved by ``econ_env_agents.common``).
        hidden_dim: width of the belief network's MLP and GRU (>= 4).
        id_embed_dim: size of the agent-id embedding (>= 1).
        belief_state_dim: size of the belief state ``e_i`` each network emits (>= 2).
        attention_heads: heads of the belief encoder; must divide ``belief_state_dim``.
        mixer_hidden_dim: width of the QMIX hypernetworks' mixing layer (>= 2).
        belief_dims: belief dimensions the prototypes vary (continuous action spaces only).
        belief_levels: values in [-1, 1] each varied dimension takes; the prototypes are the
            product grid, every other dimension 0 (neutral).
        gamma: discount over rounds, in [0, 1].
        lr: Adam learning rate, in (0, 1).
        tau: soft target update ``φ' ← τφ + (1 − τ)φ'`` after every gradient step, in (0, 1].
        batch_episodes: episodes per gradient step (>= 1).
        buffer_episodes: replay capacity in episodes (>= batch_episodes).
        updates_per_episode: gradient steps after each collected episode (>= 0).
        learning_starts: episodes collected before the first gradient step (>= 1).
        eps_start / eps_end: ε-greedy exploration, linearly annealed, in [0, 1].
        eps_decay_episodes: episodes over which ε goes from eps_start to eps_end (>= 1).
        w_team_td: weight of the TD loss on Q_tot (>= 0).
        w_agent_td: weight of the per-agent TD losses on the individual rewards (>= 0).
        w_similarity: weight of the similarity loss between executor features and the
            commitment embedding (>= 0).
        w_consistency: weight of the consistency regulariser ``‖e_i − E‖²`` (>= 0).
        w_params: weight of the generation-parameter head's regression loss (>= 0).
        grad_clip: max global gradient norm (> 0).
        dynamic_weights: learn the reward weights α (AL, TS, CC) from the replay (see
            ``EconLearner.update_reward_weights``) instead of using the env's.
        alpha_lr: step size of the dynamic reward weights (> 0).
    """

    seed: int = 0
    device: str = "auto"
    hidden_dim: int = 64
    id_embed_dim: int = 8
    belief_state_dim: int = 16
    attention_heads: int = 2
    mixer_hidden_dim: int = 32
    belief_dims: tuple[int, ...] = (0, 2)
    belief_levels: tuple[float, ...] = (-1.0, 0.0, 1.0)
    gamma: float = 0.99
    lr: float = 1e-3
    tau: float = 0.05
    batch_episodes: int = 16
    buffer_episodes: int = 2000
    updates_per_episode: int = 1
    learning_starts: int = 16
    eps_start: float = 1.0
    eps_end: float = 0.05
    eps_decay_episodes: int = 200
    w_team_td: float = 1.0
    w_agent_td: float = 0.5
    w_similarity: float = 0.1
    w_consistency: float = 0.01
    w_params: float = 0.1
    grad_clip: float = 10.0
    dynamic_weights: bool = False
    alpha_lr: float = 0.5

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, allowed: str) -> None:
            if not ok:
                raise ValueError(
                    f"EconConfig.{name} must be {allowed}, got {getattr(self, name)!r}"
                )

        need(_is_int(self.seed) and self.seed >= 0, "seed", "an integer >= 0")
        need(
            isinstance(self.device, str)
            and (self.device in ("auto", "cpu") or self.device.startswith("cuda")),
            "device",
            "'auto', 'cpu' or 'cuda[:N]'",
        )
        need(_is_int(self.hidden_dim) and self.hidden_dim >= 4, "hidden_dim", "an integer >= 4")
        need(
            _is_int(self.id_embed_dim) and self.id_embed_dim >= 1,
            "id_embed_dim",
            "an integer >= 1",
        )
        need(
            _is_int(self.belief_state_dim) and self.belief_state_dim >= 2,
            "belief_state_dim",
            "an integer >= 2",
        )
        need(
            _is_int(self.attention_heads)
            and self.attention_heads >= 1
            and self.belief_state_dim % self.attention_heads == 0,
            "attention_heads",
            f"an integer >= 1 dividing belief_state_dim={self.belief_state_dim}",
        )
        need(
            _is_int(self.mixer_hidden_dim) and self.mixer_hidden_dim >= 2,
            "mixer_hidden_dim",
            "an integer >= 2",
        )
        object.__setattr__(self, "belief_dims", tuple(self.belief_dims))
        object.__setattr__(self, "belief_levels", tuple(float(v) for v in self.belief_levels))
        need(
            len(self.belief_dims) >= 1
            and all(_is_int(d) and 0 <= d < 16 for d in self.belief_dims)
            and len(set(self.belief_dims)) == len(self.belief_dims),
            "belief_dims",
            "a non-empty tuple of distinct ints in [0, 16)",
        )
        need(
            len(self.belief_levels) >= 2
            and all(math.isfinite(v) and -1.0 <= v <= 1.0 for v in self.belief_levels)
            and len({np.float32(v) for v in self.belief_levels}) == len(self.belief_levels),
            "belief_levels",
            "a tuple of >= 2 values in [-1, 1], distinct as float32",
        )
        need(_is_real(self.gamma) and 0.0 <= self.gamma <= 1.0, "gamma", "a float in [0, 1]")
        need(_is_real(self.lr) and 0.0 < self.lr < 1.0, "lr", "a float in (0, 1)")
        need(_is_real(self.tau) and 0.0 < self.tau <= 1.0, "tau", "a float in (0, 1]")
        need(
            _is_int(self.batch_episodes) and self.batch_episodes >= 1,
            "batch_episodes",
            "an integer >= 1",
        )
        need(
            _is_int(self.buffer_episodes) and self.buffer_episodes >= self.batch_episodes,
            "buffer_episodes",
            f"an integer >= batch_episodes={self.batch_episodes}",
        )
        need(
            _is_int(self.updates_per_episode) and self.updates_per_episode >= 0,
            "updates_per_episode",
            "an integer >= 0",
        )
        need(
            _is_int(self.learning_starts) and self.learning_starts >= 1,
            "learning_starts",
            "an integer >= 1",
        )
        for name in ("eps_start", "eps_end"):
            v = getattr(self, name)
            need(_is_real(v) and 0.0 <= v <= 1.0, name, "a float in [0, 1]")
        need(
            _is_int(self.eps_decay_episodes) and self.eps_decay_episodes >= 1,
            "eps_decay_episodes",
            "an integer >= 1",
        )
        for name in ("w_team_td", "w_agent_td", "w_similarity", "w_consistency", "w_params"):
            v = getattr(self, name)
            need(_is_real(v) and v >= 0.0, name, "a float >= 0")
        need(_is_real(self.grad_clip) and self.grad_clip > 0, "grad_clip", "a float > 0")
        need(isinstance(self.dynamic_weights, bool), "dynamic_weights", "True or False")
        need(_is_real(self.alpha_lr) and self.alpha_lr > 0, "alpha_lr", "a float > 0")

    def epsilon(self, episode: int) -> float:
        """ε after ``episode`` collected episodes (linear from eps_start to eps_end)."""
        frac = min(max(episode, 0) / self.eps_decay_episodes, 1.0)
        return self.eps_start + frac * (self.eps_end - self.eps_start)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable fields (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EconConfig:
        """Inverse of :meth:`to_dict` (lists become tuples; unknown keys raise ``ValueError``)."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown EconConfig fields {unknown}; known: {sorted(known)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def belief_prototypes(config: EconConfig, belief_dim: int) -> np.ndarray:
    """The ``(K, belief_dim)`` float32 grid of belief prototypes for a continuous action space.

    ``config.belief_dims`` beyond ``belief_dim`` are dropped (a 1-D belief keeps only dim 0);
    every other dimension is 0 (the neutral generation parameter).
    """
    if not _is_int(belief_dim) or belief_dim < 1:
        raise ValueError(f"belief_dim must be an integer >= 1, got {belief_dim!r}")
    dims = [d for d in config.belief_dims if d < belief_dim]
    if not dims:
        raise ValueError(
            f"EconConfig.belief_dims={config.belief_dims} has no dimension below the env's "
            f"belief_dim={belief_dim}"
        )
    grid = list(itertools.product(config.belief_levels, repeat=len(dims)))
    out = np.zeros((len(grid), belief_dim), dtype=np.float32)
    for k, values in enumerate(grid):
        out[k, dims] = values
    return out

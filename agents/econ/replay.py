"""Episode replay for the ECON learner (sequence replay: whole episodes, GRU unrolled from zero).

An :class:`Episode` holds one debate_v0 episode padded to ``max_rounds`` steps; the learner
re-runs the belief networks' GRU over each sampled episode from the zero state, so no stale
hidden states are stored. :class:`EpisodeReplay` is a ring buffer of preallocated arrays sampled
uniformly with its own ``np.random.Generator``.

Per step ``t`` (a round) the buffer keeps the observations and global state before the round
(and after the last one, index ``T``), the chosen prototype indices, the env's reward and its
components ``(ts, al, cc, cost)`` per agent (so rewards can be re-weighted), the normalised
generation parameters the env applied, the commitment's sentence embedding, whether the round
settled (a round refused for budget has no commitment), and the valid-step mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Episode", "EpisodeReplay"]

N_COMPONENTS = 4  # ts, al, cc, cost


@dataclass
class Episode:
    """One episode, padded to ``max_rounds`` steps (``length`` of them are real)."""

    obs: np.ndarray  # (T+1, n, obs_dim) float32
    state: np.ndarray  # (T+1, state_dim) float32
    actions: np.ndarray  # (T, n) int64
    rewards: np.ndarray  # (T, n) float32, the env's per-agent reward
    components: np.ndarray  # (T, n, 4) float32: ts, al, cc, cost
    params: np.ndarray  # (T, n, 3) float32, normalised generation parameters applied
    commitment: np.ndarray  # (T, emb_dim) float32, commitment embedding
    settled: np.ndarray  # (T,) float32, 1 when the round settled
    length: int
    correct: bool = False
    billed_tokens: int = 0

    @classmethod
    def empty(
        cls, max_rounds: int, n_agents: int, obs_dim: int, state_dim: int, emb_dim: int
    ) -> Episode:
        """An all-zero episode of the given shapes (filled step by step by the rollout)."""
        t, n = max_rounds, n_agents
        return cls(
            obs=np.zeros((t + 1, n, obs_dim), np.float32),
            state=np.zeros((t + 1, state_dim), np.float32),
            actions=np.zeros((t, n), np.int64),
            rewards=np.zeros((t, n), np.float32),
            components=np.zeros((t, n, N_COMPONENTS), np.float32),
            params=np.zeros((t, n, 3), np.float32),
            commitment=np.zeros((t, emb_dim), np.float32),
            settled=np.zeros(t, np.float32),
            length=0,
        )

    def team_return(self) -> float:
        """Sum of every agent's env reward over the episode."""
        return float(self.rewards[: self.length].sum())


_FIELDS = ("obs", "state", "actions", "rewards", "components", "params", "commitment", "settled")


class EpisodeReplay:
    """Ring buffer of :class:`Episode` arrays.

    Args:
        capacity: episodes kept (oldest overwritten first), >= 1.
        max_rounds, n_agents, obs_dim, state_dim, emb_dim: the shapes of an :class:`Episode`.
        seed: seed of the buffer's own sampling generator.
    """

    def __init__(
        self,
        capacity: int,
        max_rounds: int,
        n_agents: int,
        obs_dim: int,
        state_dim: int,
        emb_dim: int,
        seed: int = 0,
    ) -> None:
        for name, v in (
            ("capacity", capacity),
            ("max_rounds", max_rounds),
            ("n_agents", n_agents),
            ("obs_dim", obs_dim),
            ("state_dim", state_dim),
            ("emb_dim", emb_dim),
        ):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        self.capacity = int(capacity)
        self.shape = (max_rounds, n_agents, obs_dim, state_dim, emb_dim)
        template = Episode.empty(*self.shape)
        self._data = {
            f: np.zeros((self.capacity, *getattr(template, f).shape), getattr(template, f).dtype)
            for f in _FIELDS
        }
        self._length = np.zeros(self.capacity, np.int64)
        self._correct = np.zeros(self.capacity, np.float32)
        self._next = 0
        self._size = 0
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self._size

    def add(self, episode: Episode) -> None:
        """Store ``episode`` (``ValueError`` on a shape mismatch or an empty episode)."""
        template = Episode.empty(*self.shape)
        for f in _FIELDS:
            got, want = getattr(episode, f).shape, getattr(template, f).shape
            if got != want:
                raise ValueError(f"episode.{f} has shape {got}, the buffer expects {want}")
        if not 1 <= episode.length <= self.shape[0]:
            raise ValueError(
                f"episode.length must be in [1, {self.shape[0]}], got {episode.length}"
            )
        i = self._next
        for f in _FIELDS:
            self._data[f][i] = getattr(episode, f)
        self._length[i] = episode.length
        self._correct[i] = float(episode.correct)
        self._next = (i + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def sample(self, batch: int) -> dict[str, np.ndarray]:
        """``batch`` episodes drawn uniformly with replacement: arrays with a leading batch axis
        plus ``mask`` (B, T), 1 on real steps, and ``done`` (B, T), 1 on each episode's last
        step (every ending of debate_v0 is final: no reward follows it), and ``correct`` (B,), 1
        when the episode's final answer was right."""
        if self._size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        if batch < 1:
            raise ValueError(f"batch must be >= 1, got {batch}")
        idx = self.rng.integers(0, self._size, size=batch)
        out = {f: self._data[f][idx] for f in _FIELDS}
        lengths = self._length[idx]
        steps = np.arange(self.shape[0])[None, :]
        out["mask"] = (steps < lengths[:, None]).astype(np.float32)
        out["done"] = (steps == lengths[:, None] - 1).astype(np.float32)
        out["correct"] = self._correct[idx]
        return out

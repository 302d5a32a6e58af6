"""Stable-Baselines3 on the batched envs: every (env, agent) slot of a batched game as one SB3 env.

:class:`BatchedSB3VecEnv` wraps a :class:`~econ_env.vector.VecEnvBase` (``num_envs`` episodes
of one game as tensors, :mod:`econ_env.vector`) as an SB3 ``VecEnv`` of
``num_envs * n_agents`` slots, slot ``k`` being agent ``k % n_agents`` of env
``k // n_agents`` — the layout SuperSuit gives the text env (:mod:`econ_env.integrations.sb3`),
so one SB3 policy acts for every agent (parameter sharing; the observation's ``agent_id`` field
lets it tell the seats apart). It is the same game, statistically equal to the text env
(``benchmarks/vector_equivalence.py``), at the batched env's speed instead of one Python
episode at a time.

- observations: float32 ``(num_envs * n_agents, obs_dim)``, the documented layout; actions: the
  game's action space (a continuous bid per tier, or a discrete bid level);
- rewards: each agent's own reward; ``dones``: an env's episode ended (every agent of it at
  once), after which the batched env starts the next episode in that row (autoreset);
- ``infos[k]`` at an episode's end: ``terminal_observation`` (the final observation),
  ``TimeLimit.truncated`` (the round limit ended it) and ``episode`` = ``{"r": the agent's
  episode return, "l": rounds}`` (what SB3's Monitor writes, so ``ep_rew_mean`` is logged);
- discrete games: ``action_masks()`` (and ``env_method("action_masks")``, which sb3-contrib's
  MaskablePPO calls) gives ``(num_envs * n_agents, K)`` legal bid levels;
- ``seed(s)``: the next ``reset()`` reseeds the batched env's generator with ``s``, so a seed
  fixes the rollouts (``PPO(seed=...)`` calls it).

Tensors on a CUDA device are copied to the host for SB3 every step; SB3's own rollout buffer is
numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv

import econ_env.vector as vector
from econ_env.vector import VecEnvBase

__all__ = ["BatchedSB3VecEnv", "make_batched_sb3_env"]


class BatchedSB3VecEnv(VecEnv):
    """A batched econ-env game as an SB3 ``VecEnv`` of ``num_envs * n_agents`` slots (module
    doc)."""

    def __init__(self, env: VecEnvBase) -> None:
        if not isinstance(env, VecEnvBase):
            raise ValueError(
                "env must be a batched econ-env game (econ_env.vector.auction(...) or "
                f".debate(...)), got {type(env).__name__}"
            )
        self.env = env
        self.n_agents = env.n_agents
        self.render_mode = None  # read by VecEnv.__init__ through get_attr
        env.autoreset = True
        obs_space = env.observation_space  # discrete games: a Dict of the vector and the mask
        if isinstance(obs_space, spaces.Dict):
            obs_space = obs_space["observation"]  # the mask is action_masks()
        super().__init__(env.num_envs * env.n_agents, obs_space, env.action_space)
        self._actions: np.ndarray | None = None
        self._next_seed: int | None = None
        n_actions = env.n_actions if env.discrete else 1
        self._masks = np.ones((self.num_envs, int(n_actions)), dtype=bool)

    # ---------------------------------------------------------------- seeding and reset
    def seed(self, seed: int | None = None) -> Sequence[int | None]:  # type: ignore[override]
        """Reseed the batched env's generator with ``seed`` at the next :meth:`reset`."""
        self._next_seed = None if seed is None else int(seed)
        return [self._next_seed] * self.num_envs

    def reset(self) -> np.ndarray:
        obs, info = self.env.reset(seed=self._next_seed)
        self._next_seed = None
        self._keep_masks(info)
        return self._host(obs)

    # ---------------------------------------------------------------- stepping
    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        if self._actions is None:
            raise RuntimeError("step_wait() without step_async(actions)")
        b, n = self.env.num_envs, self.n_agents
        a = torch.as_tensor(self._actions, device=self.env.device)
        self._actions = None
        if a.shape[0] != self.num_envs:
            raise ValueError(
                f"actions must have one row per slot (num_envs * n_agents = {self.num_envs}), "
                f"got shape {tuple(a.shape)}"
            )
        a = a.reshape(b, n) if self.env.discrete else a.reshape(b, n, -1)
        obs, reward, _, truncated, info = self.env.step(a)
        self._keep_masks(info)
        ended = info["done"]
        dones = np.repeat(ended.cpu().numpy(), n)
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        rows = torch.nonzero(ended).flatten()
        if rows.numel():
            final = info["final_obs"][rows].cpu().numpy()
            returns = info["episode_return"][rows].cpu().numpy()
            rounds = info["episode_rounds"][rows].cpu().numpy()
            cut = truncated[rows].cpu().numpy()
            for i, row in enumerate(rows.tolist()):
                for j in range(n):
                    infos[row * n + j] = {
                        "terminal_observation": final[i, j],
                        "TimeLimit.truncated": bool(cut[i]),
                        "episode": {"r": float(returns[i, j]), "l": int(rounds[i])},
                    }
        rewards = reward.reshape(-1).cpu().numpy().astype(np.float32)
        return self._host(obs), rewards, dones, infos

    def _host(self, obs: torch.Tensor) -> np.ndarray:
        return obs.reshape(self.num_envs, -1).cpu().numpy()

    def _keep_masks(self, info: dict[str, torch.Tensor]) -> None:
        if self.env.discrete:
            self._masks = info["action_mask"].reshape(self.num_envs, -1).cpu().numpy()

    # ---------------------------------------------------------------- masks
    def action_masks(self) -> np.ndarray:
        """``(num_envs * n_agents, K)`` booleans: each slot's legal actions (all True when
        continuous)."""
        return self._masks.copy()

    # ---------------------------------------------------------------- VecEnv plumbing
    def close(self) -> None:
        pass

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        value = self.render_mode if attr_name == "render_mode" else getattr(self.env, attr_name)
        return [value] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        raise AttributeError(
            f"set_attr({attr_name!r}): the slots share one batched env; set it on .env instead"
        )

    def env_method(
        self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any
    ) -> list[Any]:
        if method_name == "action_masks":
            return list(self._masks[self._get_indices(indices)])
        raise AttributeError(
            f"env_method({method_name!r}): the slots share one batched env; only "
            "'action_masks' is per slot (call methods on .env)"
        )

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * len(self._get_indices(indices))

    def has_attr(self, attr_name: str) -> bool:
        if attr_name == "action_masks":
            return isinstance(self.action_space, spaces.Discrete)
        return attr_name == "render_mode" or hasattr(self.env, attr_name)


def make_batched_sb3_env(
    name: str = "auction_v0",
    num_envs: int = 256,
    *,
    device: str | torch.device = "cpu",
    seed: int | None = None,
    **config: Any,
) -> BatchedSB3VecEnv:
    """The batched env ``name`` (a registry name: ``"auction_v0"``, ``"auction_v1"``,
    ``"debate_v0"``, ``"debate_v1"``) as an SB3 ``VecEnv``; ``config`` holds the game's config
    fields. With ``seed`` the first reset is seeded."""
    venv = BatchedSB3VecEnv(
        vector.make(name, num_envs=num_envs, device=device, seed=seed, **config)
    )
    if seed is not None:
        venv.seed(seed)
    return venv

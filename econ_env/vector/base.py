"""What both batched envs share: seeding, devices, action checks, autoreset and episode stats.

:class:`VecEnvBase` holds ``num_envs`` episodes of one game as tensors on one device. A
subclass supplies ``_reset_rows(rows)`` (start new episodes in the given env rows) or
``_reset_where(mask)`` (the same, as masked full-batch operations),
``_play(actions, active) -> (reward, stop_code, truncated)`` (one round in every active env;
stop codes are :func:`econ_env.envs.observe.stop_code` values, 0 = running) and
``_observe() -> obs``; the base turns them into ``reset`` / ``step`` with automatic reset,
episode statistics and the same action errors as the text envs, checked on the whole batch
before anything is applied and naming the env index and agent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from econ_env.core.spec import EnvSpec
from econ_env.envs.observe import STOP_REASONS

__all__ = ["VecEnvBase", "resolve_device"]

MAX_NUM_ENVS = 1 << 24
_TRUNCATED = 1 + STOP_REASONS.index("max_rounds")


def resolve_device(device: str | torch.device) -> torch.device:
    """``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"auto"`` (CUDA when available) as a device."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {device!r}"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: CUDA is not available on this machine")
    return dev


class VecEnvBase:
    """``num_envs`` episodes of one game, stepped together (see the module docstring)."""

    name: str = ""

    def __init__(self, spec: EnvSpec, num_envs: int, device: Any, seed: int | None) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int | np.integer):
            raise ValueError(
                f"num_envs must be an integer in [1, {MAX_NUM_ENVS}], got {num_envs!r}"
            )
        if not 1 <= int(num_envs) <= MAX_NUM_ENVS:
            raise ValueError(f"num_envs must be an integer in [1, {MAX_NUM_ENVS}], got {num_envs}")
        self.spec = spec
        self.num_envs = int(num_envs)
        self.device = resolve_device(device)
        self.agents = list(spec.agents)
        self.n_agents = len(self.agents)
        self.observation_space = spec.observation_space
        self.action_space = spec.action_space
        self.discrete = isinstance(self.action_space, spaces.Discrete)
        self.n_actions = int(self.action_space.n) if self.discrete else None
        self.act_dim = 1 if self.discrete else int(self.action_space.shape[0])
        self.obs_dim = int(spec.layout.size)
        self.state_dim = self.n_agents * self.obs_dim
        self.autoreset = True
        self.gen = torch.Generator(device=self.device)
        self.gen.manual_seed(int(seed) if seed is not None else 0)
        self._seeded = seed is not None
        b, n = self.num_envs, self.n_agents
        self.done = torch.ones(b, dtype=torch.bool, device=self.device)
        self.ep_return = torch.zeros(b, n, dtype=torch.float64, device=self.device)
        self.ep_len = torch.zeros(b, dtype=torch.int64, device=self.device)
        self._obs: torch.Tensor | None = None

    # ------------------------------------------------------------------ subclass hooks
    def _reset_rows(self, rows: torch.Tensor) -> None:
        raise NotImplementedError

    def _reset_where(self, mask: torch.Tensor) -> None:
        """Start new episodes where ``mask`` is True (full-batch masked form of
        ``_reset_rows``; a subclass defines one of the two)."""
        raise NotImplementedError

    def _play(self, actions: torch.Tensor, active: torch.Tensor) -> tuple[torch.Tensor, ...]:
        raise NotImplementedError

    def _observe(self) -> torch.Tensor:
        raise NotImplementedError

    def _mask(self) -> torch.Tensor | None:
        return None

    def _infos(self) -> dict[str, torch.Tensor]:
        return {}

    def _episode(self) -> dict[str, torch.Tensor]:
        return {}

    # ------------------------------------------------------------------ public API
    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Start a new episode in every env (``seed`` reseeds the env's generator)."""
        if seed is not None:
            self.gen.manual_seed(int(seed))
            self._seeded = True
        self.reset_envs(torch.ones(self.num_envs, dtype=torch.bool, device=self.device))
        return self._obs_now(), self.info()

    def reset_envs(self, mask: torch.Tensor) -> torch.Tensor:
        """Start new episodes where the bool ``(num_envs,)`` ``mask`` is True; returns obs."""
        mask = torch.as_tensor(mask, device=self.device)
        if mask.shape != (self.num_envs,) or mask.dtype != torch.bool:
            raise ValueError(f"mask must be a bool tensor of shape ({self.num_envs},)")
        if type(self)._reset_where is not VecEnvBase._reset_where:
            self._reset_where(mask)
        else:
            rows = torch.nonzero(mask).flatten()
            if rows.numel():
                self._reset_rows(rows)
        self.done = self.done & ~mask
        self.ep_return = self.ep_return.masked_fill(mask[:, None], 0.0)
        self.ep_len = self.ep_len.masked_fill(mask, 0)
        self._obs = self._observe()
        return self._obs

    def step(
        self, actions: Any
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Play one round in every env; see :mod:`econ_env.vector` for the returned tensors."""
        if self._obs is None:
            raise RuntimeError(f"{self.name}: step() needs reset() first")
        active = ~self.done
        acts = self._check_actions(actions, active)
        reward, code, truncated = self._play(acts, active)
        reward = torch.where(active[:, None], reward, 0.0)
        ended = active & (code > 0)
        self.ep_return = self.ep_return + reward
        self.ep_len = self.ep_len + active
        self.done = self.done | ended
        final_obs = self._observe()
        info = self.info()
        info.update({f"episode_{k}": v for k, v in self._episode().items()})
        info["episode_return"] = self.ep_return  # never changed in place: no copies needed
        info["episode_rounds"] = self.ep_len
        info["final_obs"] = final_obs
        info["done"] = ended
        terminated = ended & ~truncated
        truncated = ended & truncated
        if self.autoreset and bool(ended.any()):
            obs = self.reset_envs(ended)
        else:
            obs = final_obs
            self._obs = obs
        if self.discrete:
            info["action_mask"] = self._mask()  # the mask of the returned observation
        return obs, reward.to(torch.float32), terminated, truncated, info

    def state(self) -> torch.Tensor:
        """Every agent's observation concatenated, ``(num_envs, n_agents * obs_dim)``."""
        return self._obs_now().reshape(self.num_envs, self.state_dim)

    def action_mask(self) -> torch.Tensor | None:
        """``(num_envs, n_agents, K)`` bool with discrete actions, else ``None``."""
        return self._mask() if self.discrete else None

    def info(self) -> dict[str, torch.Tensor]:
        """The live numeric infos (the text env's keys) as tensors, plus ``action_mask``."""
        info = self._infos()
        if self.discrete:
            info["action_mask"] = self._mask()
        return info

    def _obs_now(self) -> torch.Tensor:
        if self._obs is None:
            raise RuntimeError(f"{self.name}: reset() first")
        return self._obs

    # ------------------------------------------------------------------ actions
    def _where(self, bad: torch.Tensor) -> tuple[int, str]:
        """The first (env, agent) flagged in ``bad`` (``(B, n)``)."""
        flat = int(torch.nonzero(bad.reshape(-1))[0])
        return flat // self.n_agents, self.agents[flat % self.n_agents]

    def _check_actions(self, actions: Any, active: torch.Tensor) -> torch.Tensor:
        b, n = self.num_envs, self.n_agents
        a = torch.as_tensor(actions, device=self.device)
        if self.discrete:
            if a.shape == (b, n, 1):
                a = a[..., 0]
            if a.shape != (b, n):
                raise ValueError(
                    f"{self.name}: discrete actions must have shape (num_envs={b}, n_agents={n}),"
                    f" got {tuple(a.shape)}"
                )
            if a.is_floating_point():
                whole = torch.isfinite(a) & (a == torch.round(a))
                if not bool(whole.all()):
                    env, agent = self._where(~whole)
                    raise ValueError(
                        f"{self.name}: env {env}, {agent}: action must be an int in "
                        f"[0, {self.n_actions - 1}]"
                    )
            a = a.to(torch.int64)
            bad = ((a < 0) | (a >= self.n_actions)) & active[:, None]
            if bool(bad.any()):
                env, agent = self._where(bad)
                level = int(a[env, self.agents.index(agent)])
                raise ValueError(
                    f"{self.name}: env {env}, {agent}: action {level} is out of range "
                    f"[0, {self.n_actions - 1}]"
                )
            return a.clamp(0, self.n_actions - 1)
        d = self.act_dim
        if d == 1 and a.shape == (b, n):
            a = a[..., None]
        if a.shape != (b, n, d):
            raise ValueError(
                f"{self.name}: actions must have shape (num_envs={b}, n_agents={n}, {d}), "
                f"got {tuple(a.shape)}"
            )
        a = a.to(torch.float32)
        bad = ~torch.isfinite(a).all(-1) & active[:, None]
        if bool(bad.any()):
            env, agent = self._where(bad)
            raise ValueError(f"{self.name}: env {env}, {agent}: action must be finite")
        return torch.nan_to_num(a).clamp(-1.0, 1.0)


TRUNCATED_CODE = _TRUNCATED

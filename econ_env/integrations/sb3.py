"""Stable-Baselines3 adapter: econ-env's parallel games as SB3 vector envs through SuperSuit.

Parameter sharing the SuperSuit way: ``supersuit.pettingzoo_env_to_vec_env_v1`` turns a
PettingZoo ``ParallelEnv`` into a vector env with one slot per agent, and
``concat_vec_envs_v1(..., base_class="stable_baselines3")`` stacks ``n_envs`` independent copies
(EzPickle makes each copy a fresh env), so one SB3 policy acts for every agent of every copy:
``num_envs = n_envs * n_agents``. :func:`make_sb3_vec_env` returns that stack wrapped in
:class:`EconVecEnv`, which fixes what SB3 needs and SuperSuit 3.11 lacks:

1. **Seeding.** SB3 seeds a vec env with ``env.seed(s)`` (``PPO(seed=s)`` calls it), but
   SuperSuit's ``ConcatVecEnv`` has no ``seed`` method: ``PPO(seed=0)`` raises
   ``AttributeError: 'ConcatVecEnv' object has no attribute 'seed'`` (and so does SuperSuit's own
   ``reset(seed=)``, which calls it). :class:`EconVecEnv` stores the seed and passes it to the
   next reset of the underlying ``ConcatVecEnv`` (copy ``i`` gets ``seed + i``), so both
   ``PPO(seed=s)`` and ``vec.seed(s)`` + ``vec.reset()`` give reproducible episodes; pair it
   with ``stable_baselines3.common.utils.set_random_seed(s)`` for the networks.
2. **Action masks.** With ``action_type="discrete"`` the observation is a Dict with an int8
   ``action_mask``. By default (``masks="split"``) the wrapper hands the policy the float32
   vector only and exposes the masks through ``action_masks()`` (what sb3-contrib's
   ``MaskablePPO`` asks for: it calls ``env_method("action_masks")``), so a masked policy never
   picks an unaffordable bid. ``masks="keep"`` passes the Dict unchanged (``MultiInputPolicy``).
   Terminal observations in ``infos`` are converted the same way.

Reaching ``max_rounds`` is the game's own end (the answer is scored there), not a time limit
cutting a longer episode: the v1 games flag it terminated, the v0 games truncated, and treating
it as terminal, as SuperSuit does (it reports ``term or trunc`` as done), is correct for both.

:class:`SB3Policy` wraps a trained model as ``act(obs, agent)`` for evaluation against the
baselines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils.conversions import aec_to_parallel
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

__all__ = ["MASK_MODES", "EconVecEnv", "SB3Policy", "make_sb3_vec_env"]

MASK_MODES = ("split", "keep")


def _as_parallel(env: Any) -> ParallelEnv:
    if isinstance(env, ParallelEnv):
        return env
    if isinstance(env, AECEnv):
        return aec_to_parallel(env)
    raise ValueError(
        f"env_fn must return a PettingZoo ParallelEnv or AECEnv, got {type(env).__name__}"
    )


class EconVecEnv(VecEnvWrapper):
    """SuperSuit's SB3 vec env with working ``seed()`` and split action masks (module doc)."""

    def __init__(self, venv: VecEnv, masks: str = "split") -> None:
        if masks not in MASK_MODES:
            raise ValueError(f"masks must be one of {MASK_MODES}, got {masks!r}")
        space = venv.observation_space
        self.masked = isinstance(space, spaces.Dict) and "action_mask" in space.spaces
        self.split = self.masked and masks == "split"
        obs_space = space["observation"] if self.split else space
        super().__init__(venv, observation_space=obs_space)
        self._next_seed: int | None = None
        n = getattr(venv.action_space, "n", 1)
        self._masks = np.ones((self.num_envs, int(n)), dtype=bool)

    # ---------------------------------------------------------------- seeding
    def seed(self, seed: int | None = None) -> list[int | None]:  # type: ignore[override]
        """Seed the next reset: copy ``i`` of the env is reset with ``seed + i``."""
        self._next_seed = None if seed is None else int(seed)
        return [None if seed is None else int(seed) + i for i in range(self.num_envs)]

    def reset(self) -> Any:
        if self._next_seed is not None:
            concat = self.venv.venv  # SuperSuit's ConcatVecEnv under its SB3 wrapper
            obs, infos = concat.reset(seed=self._next_seed)
            self.venv.reset_infos = infos
            self._next_seed = None
        else:
            obs = self.venv.reset()
        return self._split(obs)

    def step_wait(self) -> tuple[Any, np.ndarray, np.ndarray, list[dict]]:
        obs, rewards, dones, infos = self.venv.step_wait()
        if self.split:
            for info in infos:
                term = info.get("terminal_observation")
                if isinstance(term, dict):
                    info["terminal_observation"] = term["observation"]
        return self._split(obs), rewards, dones, infos

    def _split(self, obs: Any) -> Any:
        if not self.masked:
            return obs
        self._masks = np.asarray(obs["action_mask"], dtype=bool)
        return obs["observation"] if self.split else obs

    # ---------------------------------------------------------------- masks
    def action_masks(self) -> np.ndarray:
        """``(num_envs, n_actions)`` booleans: the legal actions of every slot's last obs."""
        return self._masks.copy()

    def env_method(
        self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any
    ) -> list[Any]:
        if method_name == "action_masks":
            return list(self._masks[self._get_indices(indices)])
        return self.venv.env_method(method_name, *method_args, indices=indices, **method_kwargs)

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        if attr_name == "render_mode":  # SuperSuit's ConcatVecEnv has no get_attr for it
            return [self.venv.render_mode] * len(self._get_indices(indices))
        return self.venv.get_attr(attr_name, indices)

    def has_attr(self, attr_name: str) -> bool:
        if attr_name == "action_masks":
            return self.masked
        return self.venv.has_attr(attr_name)


def make_sb3_vec_env(
    env_fn: Callable[[], Any],
    n_envs: int = 1,
    seed: int | None = None,
    *,
    num_cpus: int = 0,
    masks: str = "split",
) -> EconVecEnv:
    """A parameter-sharing SB3 vec env of ``n_envs`` copies of ``env_fn()`` (see the module doc).

    Args:
        env_fn: returns a PettingZoo ParallelEnv (an AEC env is converted), e.g.
            ``lambda: econ_env.auction_v0.parallel_env(n_agents=3)``.
        n_envs: independent copies (>= 1); ``num_envs = n_envs * n_agents`` slots.
        seed: when given, the first reset is seeded (copy ``i`` gets ``seed + i``).
        num_cpus: worker processes for SuperSuit (0: all copies in this process).
        masks: ``"split"`` (vector observations + ``action_masks()``) or ``"keep"`` (Dict).
    """
    import supersuit as ss

    if not isinstance(n_envs, int) or isinstance(n_envs, bool) or n_envs < 1:
        raise ValueError(f"n_envs must be an integer >= 1, got {n_envs!r}")
    if not isinstance(num_cpus, int) or num_cpus < 0:
        raise ValueError(f"num_cpus must be an integer >= 0, got {num_cpus!r}")
    if masks not in MASK_MODES:
        raise ValueError(f"masks must be one of {MASK_MODES}, got {masks!r}")
    par = _as_parallel(env_fn())
    vec = ss.pettingzoo_env_to_vec_env_v1(par)
    vec = ss.concat_vec_envs_v1(vec, n_envs, num_cpus=num_cpus, base_class="stable_baselines3")
    wrapped = EconVecEnv(vec, masks=masks)
    if seed is not None:
        wrapped.seed(seed)
    return wrapped


class SB3Policy:
    """A trained SB3 model as ``act(obs, agent=None) -> action`` (deterministic by default).

    Dict observations are split into the vector and the mask; the mask is passed to models that
    accept ``action_masks`` (sb3-contrib's MaskablePPO) unless ``masks="keep"``.
    """

    def __init__(self, model: Any, *, deterministic: bool = True, masks: str = "split") -> None:
        if masks not in MASK_MODES:
            raise ValueError(f"masks must be one of {MASK_MODES}, got {masks!r}")
        self.model = model
        self.deterministic = deterministic
        self.masks = masks
        self._maskable = "action_masks" in model.predict.__code__.co_varnames

    def act(self, obs: Any, agent: str | None = None) -> Any:
        """The model's action; a masked discrete choice falls back to the first legal one."""
        kwargs: dict[str, Any] = {"deterministic": self.deterministic}
        mask = None
        if isinstance(obs, dict) and self.masks == "split":
            mask = np.asarray(obs["action_mask"], dtype=bool)
            if self._maskable:
                kwargs["action_masks"] = mask
            obs = obs["observation"]
        action, _ = self.model.predict(obs, **kwargs)
        if isinstance(self.model.action_space, spaces.Discrete):
            level = int(action)
            if mask is not None and not mask[level]:
                level = int(np.flatnonzero(mask)[0])
            return level
        return np.asarray(action, dtype=np.float32)

"""Ray RLlib adapter: econ-env's parallel games as RLlib ``MultiAgentEnv`` s.

Install the optional extra in its own environment (ray[rllib] 2.60 pins gymnasium 1.2.2):
``pip install -c constraints-rllib.txt -e ".[rllib]"`` (``scripts/ci_rllib.sh`` builds
``.venv-rllib`` that way). :class:`RLlibParallelEnv` is RLlib's ``ParallelPettingZooEnv`` with
the fixes our games need (DESIGN.md §8), each tested in ``tests_rllib/test_rllib.py``:

1. **Masked observations.** With ``action_type="discrete"`` an agent's observation is
   ``{"observation": float32 vector, "action_mask": int8}``. RLlib's action-masking RL modules
   (``ray.rllib.examples.rl_modules.classes.action_masking_rlm.ActionMaskingTorchRLModule``)
   expect the keys ``"observations"`` and ``"action_mask"`` with a *float* mask (they take
   ``log(mask)``). The wrapper renames the vector to ``"observations"``, casts the mask to
   float32 and declares the matching ``Dict`` spaces (``observation_spaces`` per agent, as the
   new API stack reads them).
2. **render().** Upstream ``render()`` calls ``par_env.render(self.render_mode)``, but
   PettingZoo's ``render()`` takes no argument (and the attribute is unset), so it raises. The
   wrapper calls ``render()`` on the PettingZoo env and exposes its ``render_mode``.
3. **Short episodes.** RLlib 2.60's ``MultiAgentEnvRunner`` converts every episode finished so
   far in a batch to numpy again at *every* env step (``to_numpy()`` sits inside its sampling
   loop while ``config.episodes_to_numpy`` is True, the default), so sampling is quadratic in
   the episodes per batch. An auction episode lasts 1 to 4 rounds, hundreds per batch: 8
   iterations of 1,024 env steps took 6 min with the default and 1 min 30 s with
   ``episodes_to_numpy=False`` (``examples/rllib_ppo.py --env auction_v1``, evaluation
   included, on 2 cores with another job running). :func:`shared_policy_config` returns that
   setting under ``"env_runners"``.

:func:`env_creator` builds the env from an RLlib ``env_config`` (``{"env": <a name of
econ_env.list_envs()>, **env kwargs}``) and :func:`register_envs` registers it with Tune under
:data:`ENV_NAME`. :func:`shared_policy_config` returns the ``multi_agent`` and ``rl_module``
arguments of a parameter-shared policy (one module for every agent) and the ``env_runners``
setting of fix 3.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

__all__ = [
    "DEFAULT_ENV",
    "ENV_NAME",
    "SHARED_POLICY",
    "RLlibParallelEnv",
    "convert_observation",
    "env_creator",
    "register_envs",
    "shared_policy_config",
]

ENV_NAME = "econ_env"
"""The name :func:`register_envs` gives the creator (``config.environment(ENV_NAME, ...)``)."""
DEFAULT_ENV = "auction_v0"
"""The env :func:`env_creator` builds when ``env_config`` names none."""
SHARED_POLICY = "shared"
"""The module id of the parameter-shared policy of :func:`shared_policy_config`."""


def _masked(space: spaces.Space) -> bool:
    return isinstance(space, spaces.Dict) and "action_mask" in space.spaces


def _converted_space(space: spaces.Space) -> spaces.Space:
    if not _masked(space):
        return space
    n = space["action_mask"].shape
    return spaces.Dict(
        {
            "observations": space["observation"],
            "action_mask": spaces.Box(0.0, 1.0, n, dtype=np.float32),
        }
    )


def convert_observation(obs: Any) -> Any:
    """An env observation in RLlib's masking layout (vectors pass through unchanged)."""
    if isinstance(obs, dict) and "action_mask" in obs:
        return {
            "observations": obs["observation"],
            "action_mask": np.asarray(obs["action_mask"], dtype=np.float32),
        }
    return obs


class RLlibParallelEnv(ParallelPettingZooEnv):
    """``ParallelPettingZooEnv`` with RLlib-style masked observations and a working render()."""

    def __init__(self, env: Any) -> None:
        from pettingzoo import AECEnv, ParallelEnv
        from pettingzoo.utils.conversions import aec_to_parallel

        if isinstance(env, AECEnv):
            env = aec_to_parallel(env)
        if not isinstance(env, ParallelEnv):
            raise ValueError(f"env must be a PettingZoo ParallelEnv or AECEnv, got {type(env)}")
        super().__init__(env)
        self.observation_spaces = {
            a: _converted_space(env.observation_space(a)) for a in self.possible_agents
        }
        self.action_spaces = {a: env.action_space(a) for a in self.possible_agents}
        self.observation_space = spaces.Dict(self.observation_spaces)
        self.action_space = spaces.Dict(self.action_spaces)
        self.render_mode = getattr(env.unwrapped, "render_mode", None)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple:
        obs, infos = super().reset(seed=seed, options=options)
        return {a: convert_observation(o) for a, o in obs.items()}, infos

    def step(self, action_dict: dict[str, Any]) -> tuple:
        obs, rewards, terms, truncs, infos = super().step(action_dict)
        return {a: convert_observation(o) for a, o in obs.items()}, rewards, terms, truncs, infos

    def render(self) -> Any:
        return self.par_env.render()


def env_creator(env_config: dict[str, Any] | None = None) -> RLlibParallelEnv:
    """Build an :class:`RLlibParallelEnv` of the registry's native parallel env
    ``{"env": name, **kwargs}`` (default :data:`DEFAULT_ENV`).

    Raises ``ValueError`` naming the registered envs for an unknown ``env``; the game's own
    config validation rejects unknown or invalid kwargs.
    """
    from econ_env.registry import list_envs, make_parallel

    kwargs = dict(env_config or {})
    name = kwargs.pop("env", DEFAULT_ENV)
    if name not in list_envs():
        raise ValueError(f"env_config['env'] must be one of {list_envs()}, got {name!r}")
    return RLlibParallelEnv(make_parallel(name, **kwargs))


def register_envs(name: str = ENV_NAME) -> str:
    """Register :func:`env_creator` with Ray Tune under ``name``; returns the name."""
    from ray.tune.registry import register_env

    register_env(name, env_creator)
    return name


def shared_policy_config(env: RLlibParallelEnv, model_config: dict | None = None) -> dict:
    """``{"multi_agent": {...}, "rl_module": {...}, "env_runners": {...}}`` for one policy
    shared by every agent.

    Masked (discrete) games get RLlib's ``ActionMaskingTorchRLModule``. ``env_runners`` is
    ``{"episodes_to_numpy": False}``, which keeps RLlib's sampler linear in the number of short
    episodes (fix 3 of the module docstring). Use as
    ``config.multi_agent(**cfg["multi_agent"]).rl_module(**cfg["rl_module"])
    .env_runners(**cfg["env_runners"])``.
    """
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    first = env.possible_agents[0]
    kwargs: dict[str, Any] = {"model_config": dict(model_config or {})}
    if _masked(env.par_env.observation_space(first)):
        from ray.rllib.examples.rl_modules.classes.action_masking_rlm import (
            ActionMaskingTorchRLModule,
        )

        kwargs["module_class"] = ActionMaskingTorchRLModule
    spec = MultiRLModuleSpec(rl_module_specs={SHARED_POLICY: RLModuleSpec(**kwargs)})
    return {
        "multi_agent": {
            "policies": {SHARED_POLICY},
            "policy_mapping_fn": _map_to_shared,
        },
        "rl_module": {"rl_module_spec": spec},
        "env_runners": {"episodes_to_numpy": False},
    }


def _map_to_shared(agent_id: Any, *args: Any, **kwargs: Any) -> str:
    return SHARED_POLICY

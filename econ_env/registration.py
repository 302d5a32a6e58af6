"""Deprecated (econ-env 0.1): PettingZoo / Gymnasium registration now reads
:mod:`econ_env.registry`; this module is removed in 0.3."""

from __future__ import annotations

import warnings

from econ_env.registry import ENVS, SINGLE_AGENT_ENTRY_POINT, register_envs

__all__ = ["ENV_IDS", "GYM_IDS", "register_envs"]

ENV_IDS: dict[str, str] = {info.pettingzoo_id: f"econ_env.{name}" for name, info in ENVS.items()}
GYM_IDS: dict[str, str] = {info.gymnasium_id: SINGLE_AGENT_ENTRY_POINT for info in ENVS.values()}

warnings.warn(
    "econ_env.registration is deprecated; use econ_env.registry (ENVS, register_envs)",
    DeprecationWarning,
    stacklevel=2,
)

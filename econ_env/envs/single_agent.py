"""Deprecated alias of :mod:`econ_env.single_agent` (econ-env 0.1); removed in 0.3."""

import warnings

from econ_env.single_agent import (  # noqa: F401
    SingleAgentEnv,
    make_auction,
    make_debate,
    single_agent,
)

warnings.warn(
    "econ_env.envs.single_agent is deprecated; use econ_env.single_agent",
    DeprecationWarning,
    stacklevel=2,
)

"""Deprecated alias of :mod:`econ_env.envs.debate.prompts` (econ-env 0.1); removed in 0.3."""

import warnings

from econ_env.envs.debate.prompts import (  # noqa: F401
    COORDINATOR,
    PROMPT_VERSION,
    commitment_messages,
    executor_messages,
    local_coordinator,
    strategy_messages,
)

warnings.warn(
    "econ_env.envs.debate.coordinator is deprecated; use econ_env.envs.debate.prompts",
    DeprecationWarning,
    stacklevel=2,
)

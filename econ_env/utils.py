"""Small helpers shared by the versioned environment shims."""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Callable
from typing import Any

from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils.conversions import aec_to_parallel


class _CallableEnvModule(types.ModuleType):
    """A versioned env module that can be called like its ``env`` factory."""

    def __call__(self, **kwargs: Any) -> AECEnv:
        return self.env(**kwargs)


def callable_module(name: str) -> None:
    """Make the module ``name`` callable: ``module(**kw)`` returns ``module.env(**kw)``."""
    sys.modules[name].__class__ = _CallableEnvModule


def parallel_from(raw_env: Callable[..., AECEnv]) -> Callable[..., ParallelEnv]:
    """A ``parallel_env`` factory converting the raw AEC env with PettingZoo's converter."""

    @functools.wraps(raw_env)
    def parallel_env(**kwargs: Any) -> ParallelEnv:
        return aec_to_parallel(raw_env(**kwargs))

    parallel_env.__name__ = "parallel_env"
    parallel_env.__doc__ = "The parallel-API environment (PettingZoo's aec_to_parallel)."
    return parallel_env

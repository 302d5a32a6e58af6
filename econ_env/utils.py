"""The callable versioned env modules (``econ_env.auction_v0(**kw)``)."""

from __future__ import annotations

import sys
import types
from typing import Any

from pettingzoo import AECEnv


class _CallableEnvModule(types.ModuleType):
    """A versioned env module that can be called like its ``env`` factory."""

    def __call__(self, **kwargs: Any) -> AECEnv:
        return self.env(**kwargs)


def callable_module(name: str) -> None:
    """Make the module ``name`` callable: ``module(**kw)`` returns ``module.env(**kw)``."""
    sys.modules[name].__class__ = _CallableEnvModule

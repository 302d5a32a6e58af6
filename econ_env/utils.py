"""The callable versioned env modules (``econ_env.auction_v0(**kw)``)."""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from pettingzoo import AECEnv


class _CallableEnvModule(types.ModuleType):
    """A versioned env module that can be called like its ``env`` factory."""

    def __call__(self, **kwargs: Any) -> AECEnv:
        return self.env(**kwargs)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        """Pickled by name, like any module (pickle and cloudpickle refuse module objects of
        a subclass otherwise): ``lambda: econ_env.auction_v0.parallel_env()`` survives
        cloudpickle, and unpickling imports the module."""
        return (importlib.import_module, (self.__name__,))


def callable_module(name: str) -> None:
    """Make the module ``name`` callable: ``module(**kw)`` returns ``module.env(**kw)``."""
    sys.modules[name].__class__ = _CallableEnvModule

"""Backends by name: ``"simulated"``, ``"hf:smollm2"``, ``"openai:http://127.0.0.1:8080/v1"``,
``"cache:hf:smollm2"``.

A spec is ``"name"`` or ``"name:arg"``; the part after the first ``:`` is passed to the factory as
its first positional argument, and keyword arguments of :func:`make_backend` are passed through.
A :class:`~econ_env.llm.base.Backend` instance passes through unchanged. Built in:

- ``"simulated"`` (``"simulated:7"`` means seed 7);
- ``"hf:MODEL"``: :class:`econ_env.llm.hf.HFBackend` (a model name from ``econ-env models list``
  or a local path); needs the ``hf`` extra;
- ``"openai:BASE_URL"``: :class:`econ_env.llm.openai_backend.OpenAIBackend`; needs ``openai``;
- ``"cache:INNER_SPEC"``: :class:`econ_env.llm.cache.CachedBackend` wrapping the inner backend
  (keyword arguments such as ``path`` and ``mode`` go to the cache).

The real backends are imported only when first built, so ``import econ_env`` never needs torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from econ_env.llm.base import Backend
from econ_env.llm.simulated import SimulatedBackend

__all__ = ["list_backends", "make_backend", "register_backend"]

_REGISTRY: dict[str, Callable[..., Backend]] = {}


def register_backend(name: str, factory: Callable[..., Backend], *, replace: bool = False) -> None:
    """Register ``factory`` under ``name``.

    Re-registering the same factory is a no-op; a different factory under a taken name raises
    ``ValueError`` unless ``replace=True``.
    """
    if not isinstance(name, str) or not name or ":" in name or name != name.strip():
        raise ValueError(f"backend name must be a non-empty string without ':', got {name!r}")
    if not callable(factory):
        raise ValueError(f"backend factory for {name!r} must be callable, got {factory!r}")
    old = _REGISTRY.get(name)
    if old is not None and old is not factory and not replace:
        raise ValueError(f"backend {name!r} is already registered (pass replace=True to replace)")
    _REGISTRY[name] = factory


def list_backends() -> list[str]:
    """Registered backend names, sorted."""
    return sorted(_REGISTRY)


def make_backend(spec: str | Backend, **kwargs: Any) -> Backend:
    """Build a backend from ``"name"`` / ``"name:arg"``, or return a ``Backend`` unchanged."""
    if not isinstance(spec, str):
        if isinstance(spec, Backend):
            if kwargs:
                raise ValueError(
                    f"keyword arguments {sorted(kwargs)} cannot be applied to a backend instance"
                )
            return spec
        raise ValueError(f"backend spec must be a string or a Backend, got {spec!r}")
    name, sep, arg = spec.partition(":")
    factory = _REGISTRY.get(name)
    if factory is None:
        raise ValueError(f"unknown backend {name!r}; registered: {list_backends()}")
    if not sep:
        return factory(**kwargs)
    if not arg:
        raise ValueError(f"backend spec {spec!r} has an empty argument after ':'")
    return factory(arg, **kwargs)


def _simulated(seed: str | int | None = None, **kwargs: Any) -> SimulatedBackend:
    """Factory for ``"simulated"``; the optional spec argument is the seed (``"simulated:7"``)."""
    if seed is not None:
        try:
            kwargs["seed"] = int(seed)
        except ValueError:
            raise ValueError(
                f"simulated backend argument must be an int seed, got {seed!r}"
            ) from None
    return SimulatedBackend(**kwargs)


def _lazy(module: str, attr: str) -> Callable[..., Backend]:
    """A factory that imports ``module.attr`` on first use (optional dependencies stay optional)."""

    def factory(*args: Any, **kwargs: Any) -> Backend:
        import importlib

        return getattr(importlib.import_module(module), attr)(*args, **kwargs)

    factory.__qualname__ = f"lazy({module}.{attr})"
    return factory


register_backend("simulated", _simulated)
register_backend("hf", _lazy("econ_env.llm.hf", "HFBackend"))
register_backend("openai", _lazy("econ_env.llm.openai_backend", "OpenAIBackend"))
register_backend("cache", _lazy("econ_env.llm.cache", "CachedBackend"))
register_backend("llamacpp", _lazy("econ_env.llm.llamacpp", "LlamaCppBackend"))

"""The policy registry: named policies for each environment, built from an :class:`EnvSpec`.

A policy is any object with ``act(obs, agent) -> action``. It is built by a *factory*
``factory(spec, seed=seed)`` from the env's public description
(:class:`~econ_env.core.spec.EnvSpec`) and a seed — never from the env object, so it cannot read
the gold answer or another agent's private draft.

Policies are found by name per environment:

- packages register them through the ``econ_env.policies`` entry-point group, one entry per
  policy named ``<env>.<policy>`` (econ-env's own baselines are registered this way by the
  ``econ_env_baselines`` package; a third-party package does the same in its
  ``pyproject.toml``)::

      [project.entry-points."econ_env.policies"]
      "auction_v0.truthful" = "econ_env_baselines.auction:TruthfulBidder"

- code registers them at run time with :func:`register_policy`;
- a ``"module:Class"`` string names any importable factory without registering it.

The CLI, the single-agent Gymnasium view, the benchmark and calibration all build policies
through :func:`make_policy`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

from econ_env.core.spec import EnvSpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "Policy",
    "PolicyFactory",
    "list_policies",
    "load_object",
    "make_policy",
    "policy_factory",
    "register_policy",
]

ENTRY_POINT_GROUP = "econ_env.policies"


@runtime_checkable
class Policy(Protocol):
    """Anything that picks an action from one agent's observation."""

    def act(self, obs: Any, agent: str) -> Any:
        """The action of ``agent`` given its observation."""
        ...


PolicyFactory = Callable[..., Policy]
"""``factory(spec: EnvSpec, seed: int = 0) -> Policy`` (a policy class is one)."""

_registered: dict[tuple[str, str], PolicyFactory] = {}
_entry_points: dict[tuple[str, str], metadata.EntryPoint] | None = None


def _discovered() -> dict[tuple[str, str], metadata.EntryPoint]:
    """The group's entry points by ``(env, name)`` (read once; loaded only when used)."""
    global _entry_points
    if _entry_points is None:
        found: dict[tuple[str, str], metadata.EntryPoint] = {}
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            env, dot, name = ep.name.partition(".")
            if dot and env and name:
                found.setdefault((env, name), ep)
        _entry_points = found
    return _entry_points


def register_policy(env: str, name: str, factory: PolicyFactory, *, replace: bool = False) -> None:
    """Register ``factory`` as policy ``name`` of env ``env``.

    Re-registering the same factory is a no-op; another factory under a taken name raises
    ``ValueError`` unless ``replace=True``.
    """
    if not isinstance(env, str) or not env or "." in env:
        raise ValueError(f"env must be an env name without '.', got {env!r}")
    if not isinstance(name, str) or not name or ":" in name or name != name.strip():
        raise ValueError(f"policy name must be a non-empty string without ':', got {name!r}")
    if not callable(factory):
        raise ValueError(f"policy factory for {env}.{name} must be callable, got {factory!r}")
    old = _registered.get((env, name))
    if old is not None and old is not factory and not replace:
        raise ValueError(f"policy {name!r} of {env} is already registered (pass replace=True)")
    _registered[env, name] = factory


def list_policies(env: str) -> list[str]:
    """The policy names registered for ``env`` (entry points and run-time registrations)."""
    names = {n for e, n in _registered if e == env}
    names |= {n for e, n in _discovered() if e == env}
    return sorted(names)


def load_object(spec: str) -> Any:
    """The object named by ``"package.module:attr"`` (``ValueError`` when it cannot be loaded)."""
    module, sep, attr = spec.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"expected 'module:attr', got {spec!r}")
    try:
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"cannot load {spec!r}: {err}") from None
    return obj


def policy_factory(name: str, env: str) -> PolicyFactory:
    """The factory of policy ``name`` for ``env``: a registered name or ``"module:Class"``.

    Raises ``ValueError`` listing the registered names when ``name`` is neither.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"policy must be a non-empty string, got {name!r}")
    if (env, name) in _registered:
        return _registered[env, name]
    ep = _discovered().get((env, name))
    if ep is not None:
        factory = ep.load()
        _registered.setdefault((env, name), factory)
        return factory
    if ":" in name:
        factory = load_object(name)
        if not callable(factory):
            raise ValueError(f"{name!r} is not callable")
        return factory
    raise ValueError(
        f"unknown policy {name!r} for {env}; registered: {list_policies(env)} "
        "(or give a module:Class)"
    )


def make_policy(name: str, spec: EnvSpec, seed: int = 0) -> Policy:
    """Build policy ``name`` (registered for ``spec.env``, or ``"module:Class"``) from ``spec``."""
    if not isinstance(spec, EnvSpec):
        raise TypeError(
            "policies are built from an EnvSpec (econ_env.env_spec(...) or "
            f"env.unwrapped.env_spec), got {type(spec).__name__}"
        )
    policy = policy_factory(name, spec.env)(spec, seed=seed)
    if not callable(getattr(policy, "act", None)):
        raise ValueError(f"policy {name!r} built an object without act(obs, agent)")
    return policy

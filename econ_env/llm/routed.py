"""A backend that routes each request to its agent's backend (heterogeneous teams).

:class:`RoutedBackend` holds a *default* backend and per-agent backends. A request goes to the
backend of ``request.hints.agent_index`` when that agent has one, else to the default (requests
without hints, a coordinator's ``agent_index = -1``, agents without a model). One call of
:meth:`RoutedBackend.generate` makes exactly one batched ``generate`` call per sub-backend that
has requests (agents sharing a model share its backend and its batch) and returns the
completions in the order of the requests.

Its ``identity`` (what a generation cache keys on, :mod:`econ_env.llm.cache_keys`) combines the
sub-backends' identities and which agents each serves, so a cache over a routed backend never
serves one team's completions to another.

:func:`team_backend` builds one from a team's model spec strings through the backend registry
(:func:`econ_env.llm.registry.make_backend`); it returns the default backend unchanged when no
agent names a model, so envs without a ``team`` (or with skills only) are exactly as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from econ_env.core.team import resolve_team
from econ_env.llm.base import Backend, Completion, GenRequest, generate_checked
from econ_env.llm.cache_keys import backend_identity
from econ_env.llm.registry import make_backend

__all__ = ["RoutedBackend", "config_backend", "team_backend"]


class RoutedBackend:
    """Routes every request to the backend of its agent (``hints.agent_index``).

    Args:
        default: the backend of every request whose agent has no backend of its own.
        agents: agent index -> that agent's backend. Several agents may share one backend
            object (their requests then go in one batch).
    """

    name = "routed"

    def __init__(self, default: Backend, agents: Mapping[int, Backend]) -> None:
        if not isinstance(default, Backend):
            raise ValueError(f"RoutedBackend: default must be a Backend, got {default!r}")
        self.default = default
        self.agents: dict[int, Backend] = {}
        for i, b in dict(agents).items():
            if isinstance(i, bool) or not isinstance(i, int) or i < 0:
                raise ValueError(f"RoutedBackend: agent indices must be ints >= 0, got {i!r}")
            if not isinstance(b, Backend):
                raise ValueError(f"RoutedBackend: agent {i}'s backend must be a Backend, got {b!r}")
            self.agents[i] = b
        # distinct sub-backends, the default first, each once (by identity of the object)
        self.backends: list[Backend] = [default]
        for b in self.agents.values():
            if all(b is not other for other in self.backends):
                self.backends.append(b)

    def backend_of(self, request: GenRequest) -> Backend:
        """The backend that answers ``request``."""
        hints = request.hints
        if hints is None:
            return self.default
        return self.agents.get(hints.agent_index, self.default)

    @property
    def identity(self) -> dict[str, Any]:
        """The default's identity and, per sub-backend, its identity and the agents it serves."""
        routes = []
        for b in self.backends[1:]:
            served = sorted(i for i, a in self.agents.items() if a is b)
            routes.append({"agents": served, "identity": backend_identity(b)})
        return {
            "backend": "routed",
            "default": backend_identity(self.default),
            "routes": routes,
        }

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        """One batched (checked) call per sub-backend with requests; completions in order."""
        requests = list(requests)
        out: list[Completion | None] = [None] * len(requests)
        for b in self.backends:
            idx = [k for k, r in enumerate(requests) if self.backend_of(r) is b]
            if not idx:
                continue
            for k, c in zip(idx, generate_checked(b, [requests[k] for k in idx]), strict=True):
                out[k] = c
        return out  # type: ignore[return-value]


def team_backend(default: Backend, models: Sequence[str | None]) -> Backend:
    """``default`` when no agent names a model, else a :class:`RoutedBackend` that sends agent
    ``i``'s requests to ``make_backend(models[i])`` (one backend per distinct spec string).

    Raises:
        ValueError: naming ``team[i].model`` when a spec cannot be built (unknown backend
            name, bad argument).
    """
    built: dict[str, Backend] = {}
    agents: dict[int, Backend] = {}
    for i, spec in enumerate(models):
        if spec is None:
            continue
        if spec not in built:
            try:
                built[spec] = make_backend(spec)
            except ValueError as err:
                raise ValueError(f"team[{i}].model={spec!r} is invalid: {err}") from None
        agents[i] = built[spec]
    if not agents:
        return default
    return RoutedBackend(default, agents)


def config_backend(config: Any) -> Backend:
    """The backend of an env config: ``make_backend(config.backend, **config.backend_kwargs)``,
    routed per agent (:func:`team_backend`) when its ``team`` names models."""
    default = make_backend(config.backend, **config.backend_kwargs)
    profiles = resolve_team(getattr(config, "team", None), config.n_agents) or ()
    return team_backend(default, [p.model for p in profiles])

"""The public description of an environment that policies are built from (:class:`EnvSpec`).

A policy never receives the env object: through ``env.unwrapped`` it could read the gold answer
and the other agents' private drafts. It receives an :class:`EnvSpec` instead: the env's name,
its agents, its (identical) observation, action and state spaces, the observation
:class:`~econ_env.core.layout.Layout`, and the *public* part of its config (the rules every
agent knows: mechanism, budget, rounds, action type, reward weights, ...; never the task's
arguments, the backend or its parameters). Everything in it is something an agent could
observe or is told by the rules. It is plain data: :meth:`EnvSpec.to_dict` gives JSON types and
:meth:`EnvSpec.from_dict` rebuilds it, so a sandboxed policy process can be handed one.

Each game builds its spec from its config without building the env
(``econ_env.env_spec("auction_v0", n_agents=4)``); the env builds its spaces from the same
spec, so the two cannot disagree.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from econ_env.core.layout import Layout

__all__ = ["EnvSpec", "describe", "public_config", "space_from_dict", "space_to_dict"]


@dataclass(frozen=True, eq=False)
class EnvSpec:
    """What a policy may know about an environment (see the module docstring).

    Attributes:
        env: the registry name, e.g. ``"auction_v0"``.
        agents: the agent names, in order.
        observation_space: every agent's observation space (a float32 ``Box``, or a ``Dict``
            with ``"observation"`` and an int8 ``"action_mask"``).
        action_space: every agent's action space.
        state_space: the global state's space (``env.state()``).
        layout: the observation vector's named fields.
        config: the public config fields (JSON types).
    """

    env: str
    agents: tuple[str, ...]
    observation_space: spaces.Space
    action_space: spaces.Space
    state_space: spaces.Space
    layout: Layout
    config: Mapping[str, Any]

    @property
    def n_agents(self) -> int:
        return len(self.agents)

    @property
    def discrete(self) -> bool:
        """Whether actions are discrete (with an action mask in the observation)."""
        return isinstance(self.action_space, spaces.Discrete)

    def agent_index(self, agent: str) -> int:
        """The seat of ``agent`` (``ValueError`` naming the agents otherwise)."""
        try:
            return self.agents.index(agent)
        except ValueError:
            raise ValueError(
                f"unknown agent {agent!r}; {self.env} has {list(self.agents)}"
            ) from None

    @staticmethod
    def vector(obs: Any) -> np.ndarray:
        """The float32 vector of one observation (the ``"observation"`` of a Dict one)."""
        return np.asarray(obs["observation"] if isinstance(obs, Mapping) else obs)

    # ------------------------------------------------------------------ data
    def to_dict(self) -> dict[str, Any]:
        """JSON types only (spaces, layout and config included)."""
        return {
            "env": self.env,
            "agents": list(self.agents),
            "observation_space": space_to_dict(self.observation_space),
            "action_space": space_to_dict(self.action_space),
            "state_space": space_to_dict(self.state_space),
            "layout": self.layout.to_dict(),
            "config": _jsonable(dict(self.config)),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnvSpec:
        """Inverse of :meth:`to_dict` (``ValueError`` naming what is malformed)."""
        keys = {"env", "agents", "observation_space", "action_space", "state_space", "layout",
                "config"}  # fmt: skip
        if not isinstance(data, Mapping) or set(data) != keys:
            got = sorted(data) if isinstance(data, Mapping) else type(data).__name__
            raise ValueError(f"an EnvSpec needs exactly the keys {sorted(keys)}, got {got}")
        agents = data["agents"]
        if not isinstance(agents, list) or not all(isinstance(a, str) for a in agents):
            raise ValueError(f"EnvSpec.agents must be a list of strings, got {agents!r}")
        if not isinstance(data["config"], Mapping):
            raise ValueError("EnvSpec.config must be a mapping")
        return cls(
            env=str(data["env"]),
            agents=tuple(agents),
            observation_space=space_from_dict(data["observation_space"]),
            action_space=space_from_dict(data["action_space"]),
            state_space=space_from_dict(data["state_space"]),
            layout=Layout.from_dict(data["layout"]),
            config=dict(data["config"]),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EnvSpec) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


SECRET_CONFIG = (
    "task_kwargs",
    "backend",
    "backend_kwargs",
    "embedder",
    "render_mode",
    "info_text",
)
"""Config fields never put into a spec: they name the data, the model or how episodes are
shown, not the rules (a procedural task's arguments would let a policy regenerate the gold
answers)."""


def public_config(config: Any, exclude: tuple[str, ...] = SECRET_CONFIG) -> dict[str, Any]:
    """The public fields of a config dataclass as JSON types.

    Fields in ``exclude`` are left out; so is a field holding an object that is not plain data
    (a task source or reward object given in place of a name) — only its kind is kept for a
    ``task`` given as an object (``"<object>"``).
    """
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        if f.name in exclude:
            continue
        value = getattr(config, f.name)
        try:
            out[f.name] = _jsonable(value)
        except TypeError:
            out[f.name] = "<object>"
    return out


def describe(obj: Any) -> dict[str, Any]:
    """A component object (a reward, say) as data: its ``name`` and, for a dataclass, its
    fields (``{"name": "team", "cost_weight": 1.0}``)."""
    out: dict[str, Any] = {"name": str(getattr(obj, "name", type(obj).__name__))}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        with contextlib.suppress(TypeError):
            out.update(_jsonable(obj))
    return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"{type(value).__name__} is not plain data")


def space_to_dict(space: spaces.Space) -> dict[str, Any]:
    """A ``Box``, ``Discrete`` or ``Dict`` space as JSON types."""
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "low": space.low.tolist(),
            "high": space.high.tolist(),
            "shape": list(space.shape),
            "dtype": np.dtype(space.dtype).name,
        }
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": {k: space_to_dict(s) for k, s in space.spaces.items()}}
    raise TypeError(f"cannot describe a {type(space).__name__} space")


def space_from_dict(data: Mapping[str, Any]) -> spaces.Space:
    """Inverse of :func:`space_to_dict` (``ValueError`` on anything else)."""
    kind = data.get("type") if isinstance(data, Mapping) else None
    try:
        if kind == "Box":
            dtype = np.dtype(data["dtype"])
            if dtype.kind not in "fiu":
                raise ValueError(f"Box dtype must be numeric, got {dtype}")
            shape = tuple(int(x) for x in data["shape"])
            low = np.asarray(data["low"], dtype=dtype).reshape(shape)
            high = np.asarray(data["high"], dtype=dtype).reshape(shape)
            return spaces.Box(low, high, shape, dtype=dtype)
        if kind == "Discrete":
            return spaces.Discrete(int(data["n"]), start=int(data.get("start", 0)))
        if kind == "Dict":
            return spaces.Dict({str(k): space_from_dict(v) for k, v in data["spaces"].items()})
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"malformed {kind} space: {err}") from None
    raise ValueError(f"unknown space type {kind!r}; one of Box, Discrete, Dict")

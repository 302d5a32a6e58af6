"""THE table of econ-env's environments: every fact about each env stands here once.

``econ_env.make(name, **config)`` builds the AEC env, ``econ_env.make_parallel(name, **config)``
the native parallel env, ``econ_env.env_spec(name, **config)`` the public
:class:`~econ_env.core.spec.EnvSpec` a policy is built from (without building the env), and
``econ_env.list_envs()`` names them. PettingZoo and Gymnasium registration, the docs pages, the
CLI, the benchmark and calibration all read :data:`ENVS`; adding an environment is adding one
:class:`EnvInfo` here (see docs/extending.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium
import pettingzoo

from econ_env.core.layout import FieldSpec
from econ_env.core.spec import EnvSpec
from econ_env.envs.auction import env as _auction
from econ_env.envs.auction import observation as _auction_obs
from econ_env.envs.auction import prompts as _auction_prompts
from econ_env.envs.auction import v1 as _auction_v1
from econ_env.envs.auction.config import AuctionConfig
from econ_env.envs.debate import env as _debate
from econ_env.envs.debate import observation as _debate_obs
from econ_env.envs.debate import prompts as _debate_prompts
from econ_env.envs.debate import v1 as _debate_v1
from econ_env.envs.debate.config import DebateConfig
from econ_env.envs.validation import version_kwargs

__all__ = [
    "ENVS",
    "EnvInfo",
    "env_info",
    "env_name_of",
    "env_spec",
    "list_envs",
    "make",
    "make_parallel",
    "make_raw",
    "make_vector",
    "register_envs",
]


@dataclass(frozen=True)
class EnvInfo:
    """Everything econ-env knows about one environment.

    Attributes:
        name: the versioned name (``"auction_v0"``); also the ``econ_env.<name>`` shim module.
        env: factory of the AEC env wrapped in PettingZoo's order enforcer.
        raw_env: factory of the unwrapped AEC env.
        parallel_env: factory of the native parallel env.
        spec: ``spec(**config) -> EnvSpec``, the public description, without building the env.
        config: the env's config dataclass (its fields are the accepted keyword arguments).
        doc_module: the module whose docstring is the env's documentation page.
        observation_fields: the documented observation table (printed on that page).
        prompt_version: the version of the game's prompts (benchmark submissions name it).
        pettingzoo_id: the id for ``pettingzoo.make`` (AEC and parallel).
        gymnasium_id: the id of the single-agent Gymnasium view (one learner seat).
        default_policy: the co-player / policy used when none is named.
        full_length_config: overrides under which every episode runs exactly ``max_rounds``
            rounds (PettingZoo's ``max_cycles_test``, fixed-length experiments).
        calibration_policy: the policy ``econ-env calibrate`` plays this env with.
        calibration_config: the config ``econ-env calibrate`` records this env with.
        bench: whether benchmark suites may hold cases of this env.
        vector_env: ``"module:Class"`` of the batched torch twin (:mod:`econ_env.vector`),
            imported only by :func:`make_vector` (torch is an optional dependency).
        defaults: the version's config overrides of the game's defaults (``auction_v1``:
            ``{"team": "one_expert"}``); the factories apply them, and so does
            :func:`make_vector`.
    """

    name: str
    env: Callable[..., Any]
    raw_env: Callable[..., Any]
    parallel_env: Callable[..., Any]
    spec: Callable[..., EnvSpec]
    config: type
    doc_module: str
    observation_fields: tuple[FieldSpec, ...]
    prompt_version: str
    pettingzoo_id: str
    gymnasium_id: str
    default_policy: str
    full_length_config: Mapping[str, Any] = field(default_factory=dict)
    calibration_policy: str | None = None
    calibration_config: Mapping[str, Any] = field(default_factory=dict)
    bench: bool = True
    vector_env: str | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)


_AUCTION_V0 = EnvInfo(
    name="auction_v0",
    env=_auction.env,
    raw_env=_auction.raw_env,
    parallel_env=_auction.parallel_env,
    spec=_auction.env_spec,
    config=AuctionConfig,
    doc_module=_auction.__name__,
    observation_fields=_auction_obs.FIELDS,
    prompt_version=_auction_prompts.PROMPT_VERSION,
    pettingzoo_id="econ_env/auction-v0",
    gymnasium_id="econ_env/Auction-v0",
    default_policy="truthful",
    full_length_config={
        "stop_on_consensus": False,
        "budget": 10**7,
        "invalid_action": "silence",
    },
    calibration_policy="truthful",
    calibration_config={"n_agents": 3, "max_rounds": 2, "max_draft_tokens": 256},
    vector_env="econ_env.vector.auction_env:VecAuctionEnv",
)


def _version(base: EnvInfo, module: Any) -> EnvInfo:
    """A later version of ``base``'s game (``auction_v1``, ``debate_v1``): the same config,
    observation and prompts, with ``module``'s factories, page and defaults and ids derived from
    its ``NAME``. Calibration records the first version, and benchmark suites name its configs
    explicitly, so neither uses it."""
    game, version = module.NAME.rsplit("_v", 1)
    return replace(
        base,
        name=module.NAME,
        env=module.env,
        raw_env=module.raw_env,
        parallel_env=module.parallel_env,
        spec=module.env_spec,
        doc_module=module.__name__,
        pettingzoo_id=f"econ_env/{game}-v{version}",
        gymnasium_id=f"econ_env/{game.capitalize()}-v{version}",
        calibration_policy=None,
        calibration_config={},
        bench=False,
        defaults=module.DEFAULTS,
    )


_AUCTION_V1 = _version(_AUCTION_V0, _auction_v1)
"""auction_v1: auction_v0 with one expert among novices by default."""

_DEBATE_V0 = EnvInfo(
    name="debate_v0",
    env=_debate.env,
    raw_env=_debate.raw_env,
    parallel_env=_debate.parallel_env,
    spec=_debate.env_spec,
    config=DebateConfig,
    doc_module=_debate.__name__,
    observation_fields=_debate_obs.FIELDS,
    prompt_version=_debate_prompts.PROMPT_VERSION,
    pettingzoo_id="econ_env/debate-v0",
    gymnasium_id="econ_env/Debate-v0",
    default_policy="neutral",
    full_length_config={"early_stop": False, "budget": 10**8},
    # round_robin alternates executors between T = 0.22 and T = 1.18, so that the
    # temperature effect is identifiable from the traces
    calibration_policy="round_robin",
    calibration_config={
        "n_agents": 3,
        "max_rounds": 2,
        "max_answer_tokens": 256,
        "embedder": "hashed",
    },
    vector_env="econ_env.vector.debate_env:VecDebateEnv",
)

_DEBATE_V1 = _version(_DEBATE_V0, _debate_v1)
"""debate_v1: debate_v0 with regime ``expert_herding``'s defaults."""

ENVS: dict[str, EnvInfo] = {
    info.name: info
    for info in (
        _AUCTION_V0,
        _AUCTION_V1,
        _DEBATE_V0,
        _DEBATE_V1,
    )
}
"""Every environment, by name."""


SINGLE_AGENT_ENTRY_POINT = "econ_env.single_agent:make_single_agent"
"""The Gymnasium entry point of every single-agent view (the env's name goes in its kwargs)."""


def list_envs() -> list[str]:
    """The environment names, sorted."""
    return sorted(ENVS)


def env_info(name: str) -> EnvInfo:
    """The :class:`EnvInfo` of ``name`` (``ValueError`` listing the names otherwise)."""
    try:
        return ENVS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown environment {name!r}; one of {list_envs()}") from None


def make(name: str, **config: Any) -> Any:
    """The AEC env ``name`` (order-enforcing wrapper) with ``config``."""
    return env_info(name).env(**config)


def make_raw(name: str, **config: Any) -> Any:
    """The unwrapped AEC env ``name`` with ``config``."""
    return env_info(name).raw_env(**config)


def make_parallel(name: str, **config: Any) -> Any:
    """The native parallel env ``name`` with ``config``."""
    return env_info(name).parallel_env(**config)


def make_vector(
    name: str, num_envs: int = 1024, device: Any = "cpu", seed: int | None = None, **config: Any
) -> Any:
    """The batched torch twin of env ``name`` (:mod:`econ_env.vector`): ``num_envs`` episodes
    on ``device`` with ``config`` (the text env's fields)."""
    info = env_info(name)
    if info.vector_env is None:
        raise ValueError(f"{name} has no batched twin")
    module, _, cls = info.vector_env.partition(":")
    vec = getattr(importlib.import_module(module), cls)
    if not info.defaults:
        return vec(num_envs, device, seed, **config)
    return vec(num_envs, device, seed, **version_kwargs(dict(info.defaults), config), env_name=name)


def env_spec(name: str, **config: Any) -> EnvSpec:
    """The public description of env ``name`` with ``config`` (the env is not built)."""
    return env_info(name).spec(**config)


def env_name_of(env: Any) -> str:
    """The registry name of an env object (AEC or parallel, wrapped or not)."""
    name = getattr(getattr(env, "unwrapped", env), "metadata", {}).get("name")
    if name not in ENVS:
        raise ValueError(f"{type(env).__name__} is not an econ-env environment")
    return name


def register_envs() -> None:
    """Register every env with PettingZoo (AEC and parallel) and its single-agent view with
    Gymnasium (idempotent)."""
    for info in ENVS.values():
        if info.pettingzoo_id not in pettingzoo.aec_registry:
            pettingzoo.register("aec", info.pettingzoo_id, entry_point=_entry_point(info.env))
        if info.pettingzoo_id not in pettingzoo.parallel_registry:
            entry = _entry_point(info.parallel_env)
            pettingzoo.register("parallel", info.pettingzoo_id, entry_point=entry)
        if info.gymnasium_id not in gymnasium.registry:
            gymnasium.register(
                id=info.gymnasium_id,
                entry_point=SINGLE_AGENT_ENTRY_POINT,
                kwargs={"env_name": info.name},
            )


def _entry_point(factory: Callable[..., Any]) -> str:
    return f"{factory.__module__}:{factory.__qualname__}"

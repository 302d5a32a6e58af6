"""Language-model backends behind the batched ``Backend`` protocol, and their registry.

Built in: ``simulated`` (default; presets fitted on real models: :func:`list_presets`), ``hf``
(:mod:`econ_env.llm.hf`), ``openai`` (:mod:`econ_env.llm.openai_backend`) and ``cache``
(:mod:`econ_env.llm.cache`). The real backends are imported on first use, so this package never
needs torch or openai.
"""

from econ_env.llm.base import (
    Backend,
    BackendError,
    BackendUnavailable,
    Completion,
    GenRequest,
    Message,
)
from econ_env.llm.registry import list_backends, make_backend, register_backend
from econ_env.llm.simulated import DEFAULT_SKILL, SimParams, SimulatedBackend, list_presets

__all__ = [
    "DEFAULT_SKILL",
    "Backend",
    "BackendError",
    "BackendUnavailable",
    "Completion",
    "GenRequest",
    "Message",
    "SimParams",
    "SimulatedBackend",
    "list_backends",
    "list_presets",
    "make_backend",
    "register_backend",
]

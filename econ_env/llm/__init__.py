"""Language-model backends: the batched ``Backend`` protocol, simulated backend and registry."""

from econ_env.llm.base import Backend, Completion, GenRequest, Message
from econ_env.llm.registry import list_backends, make_backend, register_backend
from econ_env.llm.simulated import DEFAULT_SKILL, SimParams, SimulatedBackend

__all__ = [
    "DEFAULT_SKILL",
    "Backend",
    "Completion",
    "GenRequest",
    "Message",
    "SimParams",
    "SimulatedBackend",
    "list_backends",
    "make_backend",
    "register_backend",
]

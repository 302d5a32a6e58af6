"""The batched ``Backend`` protocol every language-model backend implements.

A backend turns a batch of :class:`GenRequest` into a list of :class:`Completion`, one per
request, in order. Token counts in a ``Completion`` come from the backend's own tokenizer (or a
server's ``usage``); the simulated backend reports the lengths of its simulated model.

``GenRequest.meta`` carries *simulation hints* (the task item, the agent index, the role, the
answers the agent has heard). Real backends ignore it and never put it into a cache key; the
simulated backend, which has no text model, reads it to play its stochastic model of an agent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Message = Mapping[str, str]
"""A chat message: ``{"role": "system" | "user" | "assistant", "content": str}``."""


@dataclass(frozen=True)
class GenRequest:
    """One generation request.

    Attributes:
        messages: chat messages, oldest first.
        max_tokens: hard cap on completion tokens (> 0).
        temperature: sampling temperature (>= 0; 0 means greedy).
        top_p: nucleus mass in (0, 1].
        repetition_penalty: >= 1.0; 1.0 is neutral.
        seed: per-request seed; the same request with the same seed gives the same completion.
        belief: optional belief vector (soft-prompt beliefs on local models).
        meta: simulation hints, ignored by real backends (see module docstring).
    """

    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float = 0.7
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    seed: int | None = None
    belief: tuple[float, ...] | None = None
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.max_tokens <= 0:
            raise ValueError(f"GenRequest.max_tokens must be > 0, got {self.max_tokens}")
        if not self.temperature >= 0.0:
            raise ValueError(f"GenRequest.temperature must be >= 0, got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"GenRequest.top_p must be in (0, 1], got {self.top_p}")
        if not self.repetition_penalty >= 1.0:
            raise ValueError(
                f"GenRequest.repetition_penalty must be >= 1.0, got {self.repetition_penalty}"
            )


@dataclass(frozen=True)
class Completion:
    """The result of one :class:`GenRequest`.

    Attributes:
        text: generated text.
        prompt_tokens: tokens the model read (its tokenizer's count).
        completion_tokens: tokens the model produced (<= the request's ``max_tokens``).
        mean_logprob: mean log-probability of the produced tokens (<= 0).
        mean_entropy: mean next-token entropy in nats (>= 0).
        finish_reason: ``"stop"`` or ``"length"``.
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    mean_logprob: float
    mean_entropy: float
    finish_reason: str = "stop"


class BackendUnavailable(RuntimeError):
    """A backend's server could not be reached, even after retries.

    Attributes:
        url: the server's address (also named in the message).
        detail: what went wrong (attempts made, last error).
    """

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"backend at {url} is unavailable: {detail}")
        self.url = url
        self.detail = detail

    def __reduce__(self) -> tuple[type[BackendUnavailable], tuple[str, str]]:
        return (type(self), (self.url, self.detail))


@runtime_checkable
class Backend(Protocol):
    """A batched text generator."""

    name: str

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        """Return one completion per request, in order."""
        ...


def generate_checked(backend: Backend, requests: Sequence[GenRequest]) -> list[Completion]:
    """``backend.generate(requests)``, raising ``RuntimeError`` naming the backend when it does
    not return exactly one completion per request."""
    completions = backend.generate(requests)
    if len(completions) != len(requests):
        raise RuntimeError(
            f"backend {backend.name!r} returned {len(completions)} completions "
            f"for {len(requests)} requests"
        )
    return completions

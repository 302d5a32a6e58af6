"""The batched ``Backend`` protocol every language-model backend implements.

A backend turns a batch of :class:`GenRequest` into a list of :class:`Completion`, one per
request, in order. Token counts in a ``Completion`` come from the backend's own tokenizer (or a
server's ``usage``); the simulated backend reports the lengths of its simulated model.

``GenRequest.hints`` carries typed *simulation hints* (:class:`SimHints`: the task item, the
agent index, the role, the agent's own previous answer and the answers it has heard). Real
backends ignore them and never put them into a cache key; the simulated backend, which has no
text model, reads them to play its stochastic model of an agent. The hints hold nothing that is
not in the request's prompt or in the task item the game is playing.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from typing import Any, Protocol, runtime_checkable

from econ_env.core.ledger import Role
from econ_env.tasks.base import TaskItem

Message = Mapping[str, str]
"""A chat message: ``{"role": "system" | "user" | "assistant", "content": str}``."""


@dataclass(frozen=True)
class SimHints:
    """What the simulated backend needs to know about a request besides its prompt.

    Attributes:
        item: the task item being played (gold, kind, difficulty, choices); ``None`` for a
            request outside any game (the simulated backend then writes a generic text).
        role: what the call is for, a ledger :class:`~econ_env.core.ledger.Role`: ``DRAFT``
            answers afresh, ``REVISE`` answers again after hearing broadcasts, ``STRATEGY``
            writes a coordinator's plan, ``COMMITMENT`` commits to one of the heard answers,
            ``ANSWER`` is a debate executor.
        agent_index: the agent's seat (``>= 0``), or ``-1`` for a coordinator.
        own_answer: the agent's previous canonical answer (roles ``REVISE`` / ``ANSWER``).
        heard: canonical answers the agent has heard since its last answer (broadcasts, the
            previous commitment, or the executors' answers for a commitment); ``None`` entries
            stand for messages without an answer.
    """

    item: TaskItem | None = None
    role: Role = Role.DRAFT
    agent_index: int = 0
    own_answer: str | None = None
    heard: tuple[str | None, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.role, Role):
            try:
                object.__setattr__(self, "role", Role(self.role))
            except ValueError:
                allowed = [r.value for r in Role]
                raise ValueError(
                    f"SimHints.role must be a Role or one of {allowed}, got {self.role!r}"
                ) from None
        if isinstance(self.agent_index, bool) or not isinstance(self.agent_index, int):
            raise ValueError(f"SimHints.agent_index must be an int, got {self.agent_index!r}")
        if self.agent_index < -1:
            raise ValueError(f"SimHints.agent_index must be >= -1, got {self.agent_index}")
        if not isinstance(self.heard, tuple):
            object.__setattr__(self, "heard", tuple(self.heard))

    @classmethod
    def from_mapping(cls, meta: Mapping[str, Any]) -> SimHints:
        """Hints from the free-form mapping of econ-env 0.1 (``GenRequest(meta=...)``).

        Known keys: ``item``, ``role``, ``agent_index``, ``own_answer``, ``heard``; any other
        key raises ``ValueError`` naming it (``strategy_good`` is gone: the simulated backend
        recognises its own strategy text in the prompt).
        """
        known = {"item", "role", "agent_index", "own_answer", "heard"}
        unknown = sorted(set(meta) - known)
        if unknown:
            raise ValueError(f"unknown simulation hint(s) {unknown}; known: {sorted(known)}")
        heard = meta.get("heard") or ()
        return cls(
            item=meta.get("item"),
            role=meta.get("role", Role.DRAFT),
            agent_index=int(meta.get("agent_index", 0)),
            own_answer=meta.get("own_answer"),
            heard=tuple(heard),
        )


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
        hints: simulation hints (:class:`SimHints`), ignored by real backends and by cache keys;
            ``None`` for a request outside any game.
        meta: deprecated (econ-env 0.1): a mapping turned into ``hints`` with a
            ``DeprecationWarning``; removed in 0.3.
    """

    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float = 0.7
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    seed: int | None = None
    belief: tuple[float, ...] | None = None
    hints: SimHints | None = field(default=None, compare=False)
    meta: InitVar[Mapping[str, Any] | None] = None

    def __post_init__(self, meta: Mapping[str, Any] | None) -> None:
        if meta is not None:
            warnings.warn(
                "GenRequest(meta=...) is deprecated; pass hints=SimHints(...) "
                "(econ_env.llm.base.SimHints)",
                DeprecationWarning,
                stacklevel=3,
            )
            if self.hints is not None:
                raise ValueError("GenRequest: give hints or meta, not both")
            object.__setattr__(self, "hints", SimHints.from_mapping(meta) if meta else None)
        if self.hints is not None and not isinstance(self.hints, SimHints):
            raise ValueError(f"GenRequest.hints must be a SimHints or None, got {self.hints!r}")
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

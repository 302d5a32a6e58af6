"""The batched ``Backend`` protocol every language-model backend implements.

A backend turns a batch of :class:`GenRequest` into a list of :class:`Completion`, one per
request, in order. Token counts in a ``Completion`` come from the backend's own tokenizer (or a
server's ``usage``); the simulated backend reports the lengths of its simulated model.

``GenRequest.hints`` carries typed *simulation hints* (:class:`SimHints`: the task item, the
agent index, the role, the agent's own previous answer and the answers it has heard). Real
backends ignore them and never put them into a cache key; the simulated backend, which has no
text model, reads them to play its stochastic model of an agent. The hints hold nothing that is
not in the request's prompt or in the task item the game is playing.

:func:`generate_checked` is how callers (the games, the cache) call a backend: it checks that
there is exactly one :class:`Completion` per request and that every completion is sane
(:func:`check_completion`) before the caller applies anything, and raises
:class:`BackendError` naming the backend, the request index, the field and its allowed range
otherwise. :class:`BackendUnavailable` (a server that cannot be reached) is a ``BackendError``.
"""

from __future__ import annotations

import math
import numbers
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
        skill: the agent's logit skill for this request (a heterogeneous ``team`` profile,
            :mod:`econ_env.core.team`); ``None`` (default) uses ``SimParams.skill_of(agent)``.
        facts_known: fraction in [0, 1] of the item's facts (``split_facts`` tasks,
            :mod:`econ_env.tasks.split_facts`) the agent knows when writing this completion;
            1.0 (default) for items without facts.
        learned: whether the agent's known facts grew since its previous completion (then a
            ``REVISE`` / ``ANSWER`` request solves afresh with the new ``facts_known``).
        tier: the message tier (``"summary"``, ``"keywords"``) a ``COMPRESS`` request writes;
            ``None`` for every other request.
        source_tokens: completion tokens of the draft a ``COMPRESS`` request compresses.
        heard_tiers: the tier of each heard message, parallel to ``heard`` (empty: all
            ``"full"``); shorter tiers persuade less (``SimParams.tier_influence``).
    """

    item: TaskItem | None = None
    role: Role = Role.DRAFT
    agent_index: int = 0
    own_answer: str | None = None
    heard: tuple[str | None, ...] = ()
    skill: float | None = None
    facts_known: float = 1.0
    learned: bool = False
    tier: str | None = None
    source_tokens: int = 0
    heard_tiers: tuple[str, ...] = ()

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
        if self.skill is not None:
            if not _is_real(self.skill) or not math.isfinite(self.skill):
                raise ValueError(f"SimHints.skill must be a finite float or None: {self.skill!r}")
            object.__setattr__(self, "skill", float(self.skill))
        fk = self.facts_known
        if isinstance(fk, bool) or not isinstance(fk, numbers.Real) or not 0.0 <= fk <= 1.0:
            raise ValueError(f"SimHints.facts_known must be a float in [0, 1], got {fk!r}")
        object.__setattr__(self, "facts_known", float(fk))
        if not isinstance(self.learned, bool):
            raise ValueError(f"SimHints.learned must be a bool, got {self.learned!r}")
        if self.tier is not None and not isinstance(self.tier, str):
            raise ValueError(f"SimHints.tier must be a str or None, got {self.tier!r}")
        st = self.source_tokens
        if isinstance(st, bool) or not isinstance(st, numbers.Integral) or st < 0:
            raise ValueError(f"SimHints.source_tokens must be an int >= 0, got {st!r}")
        object.__setattr__(self, "source_tokens", int(st))
        if not isinstance(self.heard_tiers, tuple):
            object.__setattr__(self, "heard_tiers", tuple(self.heard_tiers))
        if self.heard_tiers and len(self.heard_tiers) != len(self.heard):
            raise ValueError(
                f"SimHints.heard_tiers must be empty or as long as heard ({len(self.heard)}), "
                f"got {len(self.heard_tiers)}"
            )

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
        finish_reason: ``"stop"`` or ``"length"`` (:data:`FINISH_REASONS`).

    The fields are not validated on creation (a backend may build one from a server's answer);
    :func:`check_completion` (called by :func:`generate_checked`) validates them.
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    mean_logprob: float
    mean_entropy: float
    finish_reason: str = "stop"


FINISH_REASONS = ("stop", "length")
"""The allowed :attr:`Completion.finish_reason` values."""


class BackendError(RuntimeError):
    """A backend failed or answered something that cannot be used.

    The message is ``"backend <backend> <detail>"``, e.g. ``backend 'simulated' returned an
    invalid completion for request 2: prompt_tokens must be an int >= 0, got -5``.

    Raised by :func:`generate_checked` for an invalid completion and by the real backends for a
    server answer they cannot use (malformed, empty, absurd counts). Nothing of a game round has
    been applied when it is raised from a game's backend call, so the step can be retried.

    Attributes:
        backend: the backend's name or its server's URL (also named in the message).
        detail: what went wrong.
    """

    def __init__(self, backend: str, detail: str) -> None:
        super().__init__(f"backend {backend} {detail}")
        self.backend = backend
        self.detail = detail

    @property
    def url(self) -> str:
        """Alias of :attr:`backend` (a server backend's URL)."""
        return self.backend

    def __reduce__(self) -> tuple[type[BackendError], tuple[str, str]]:
        return (type(self), (self.backend, self.detail))


class BackendUnavailable(BackendError):
    """A backend's server could not be reached, even after retries.

    Attributes:
        url: the server's address (also named in the message).
        detail: what went wrong (attempts made, last error).
    """

    def __init__(self, url: str, detail: str) -> None:
        RuntimeError.__init__(self, f"backend at {url} is unavailable: {detail}")
        self.backend = url
        self.detail = detail


@runtime_checkable
class Backend(Protocol):
    """A batched text generator."""

    name: str

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        """Return one completion per request, in order."""
        ...


def _is_int(x: object) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _is_real(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def completion_problem(request: GenRequest, completion: object) -> str | None:
    """What is wrong with ``completion`` as the answer to ``request`` (``None`` when nothing).

    The rules: ``text`` is a ``str``; ``prompt_tokens`` and ``completion_tokens`` are ints
    (not bools) ``>= 0``; ``completion_tokens <= request.max_tokens + 1`` (the stop token may be
    counted); ``mean_logprob`` is a finite real ``<= 0``; ``mean_entropy`` a finite real
    ``>= 0``; ``finish_reason`` is one of :data:`FINISH_REASONS`.
    """
    if not isinstance(completion, Completion):
        return f"is a {type(completion).__name__}, not a Completion"
    c = completion
    if not isinstance(c.text, str):
        return f"text must be a str, got {type(c.text).__name__}"
    for name in ("prompt_tokens", "completion_tokens"):
        v = getattr(c, name)
        if not _is_int(v) or v < 0:
            return f"{name} must be an int >= 0, got {v!r}"
    cap = request.max_tokens + 1
    if c.completion_tokens > cap:
        return (
            f"completion_tokens must be in [0, max_tokens + 1] = [0, {cap}] "
            f"(max_tokens={request.max_tokens} plus the stop token), got {c.completion_tokens}"
        )
    lp, ent = c.mean_logprob, c.mean_entropy
    if not _is_real(lp) or not math.isfinite(lp) or lp > 0.0:
        return f"mean_logprob must be a finite number in (-inf, 0], got {lp!r}"
    if not _is_real(ent) or not math.isfinite(ent) or ent < 0.0:
        return f"mean_entropy must be a finite number in [0, inf), got {ent!r}"
    if c.finish_reason not in FINISH_REASONS:
        return f"finish_reason must be one of {list(FINISH_REASONS)}, got {c.finish_reason!r}"
    return None


def check_completion(backend: str, index: int, request: GenRequest, completion: object) -> None:
    """Raise :class:`BackendError` naming ``backend``, the request ``index`` and the field when
    ``completion`` is not a valid answer to ``request`` (rules: :func:`completion_problem`)."""
    problem = completion_problem(request, completion)
    if problem is not None:
        raise BackendError(
            backend, f"returned an invalid completion for request {index}: {problem}"
        )


def generate_checked(backend: Backend, requests: Sequence[GenRequest]) -> list[Completion]:
    """``backend.generate(requests)``, checked before the caller uses any of it.

    Raises :class:`BackendError` (a ``RuntimeError``) naming the backend when it does not return
    exactly one completion per request, or when any completion is invalid
    (:func:`completion_problem`: the request index, the field and its allowed range). Callers
    call it before applying anything, so an invalid answer leaves their state untouched.
    """
    requests = list(requests)
    name = str(getattr(backend, "name", type(backend).__name__))
    completions = backend.generate(requests)
    if not isinstance(completions, Sequence) or len(completions) != len(requests):
        got = len(completions) if isinstance(completions, Sequence) else type(completions).__name__
        raise BackendError(repr(name), f"returned {got} completions for {len(requests)} requests")
    for i, (r, c) in enumerate(zip(requests, completions, strict=True)):
        check_completion(repr(name), i, r, c)
    return list(completions)

"""Token accounting for one episode: a budgeted ledger of every model call.

Every backend call an environment makes is recorded here per agent and per :class:`Role` with
its prompt and completion tokens. Two totals are always kept:

- **billed**: what the game charges against the budget (e.g. in DALA a losing bidder pays only
  its bid prompt, not its unbroadcast draft);
- **generated**: everything any model actually read or produced (prompt + completion).

A generation is recorded with :meth:`TokenLedger.record` (its ``billed`` part may be less than
what it generated, e.g. 0 for a draft nobody has heard yet). Tokens of an earlier generation can
be billed later with :meth:`TokenLedger.charge`: a *charge* entry generates nothing and points at
the generation it bills (``ref``); the ledger never lets the billed tokens of a generation and its
charges exceed what that generation produced, so billed <= generated holds per entry, per agent
and in total.

A charge that would overdraw the budget is refused *before* anything is recorded
(:class:`BudgetExceeded`), so the remaining budget is never negative. Running totals are kept
incrementally so every query is O(1) (or O(agents/roles) for the breakdowns).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["BudgetExceeded", "LedgerEntry", "Role", "TokenLedger"]


class Role(str, enum.Enum):
    """What a recorded model call was for."""

    DRAFT = "draft"
    BID = "bid"
    BROADCAST = "broadcast"
    REVISE = "revise"
    STRATEGY = "strategy"
    COMMITMENT = "commitment"
    ANSWER = "answer"
    JUDGE = "judge"
    EMBEDDING = "embedding"
    COMPRESS = "compress"


def _check_count(name: str, value: Any) -> None:
    if type(value) is int and value >= 0:  # fast path: this runs several times per entry
        return
    # bool is a subclass of int; a True/False token count is almost surely a bug.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value}")


def _as_int(value: Any) -> Any:
    """Accept numpy integers as ints (returned unchanged otherwise; validated later)."""
    if type(value) is int:
        return value
    if not isinstance(value, (int, bool)) and hasattr(value, "__index__"):
        return int(value.__index__())
    return value


def _role(role: Role | str) -> Role:
    """The :class:`Role` named by ``role`` (``ValueError`` listing the roles otherwise)."""
    if type(role) is Role:
        return role
    try:
        return Role(role)
    except ValueError:
        raise ValueError(f"role must be one of {[r.value for r in Role]}, got {role!r}") from None


@dataclass(frozen=True)
class LedgerEntry:
    """One recorded model call.

    Attributes:
        index: position in the ledger (0-based).
        round: game round the call belongs to (>= 0).
        agent: the agent (or in-env role such as ``"coordinator"``) that made the call.
        role: what the call was for.
        prompt_tokens: tokens the model read (>= 0).
        completion_tokens: tokens the model produced (>= 0).
        billed: tokens charged against the budget, 0 <= billed <= prompt + completion.
        note: free-form annotation for traces.
        ref: for a *charge* entry, the index of the earlier generation whose tokens it bills
            (then ``prompt_tokens == completion_tokens == 0``); ``None`` for a generation.
    """

    index: int
    round: int
    agent: str
    role: Role
    prompt_tokens: int
    completion_tokens: int
    billed: int
    note: str = ""
    ref: int | None = None

    def __post_init__(self) -> None:
        for name in ("index", "round", "prompt_tokens", "completion_tokens", "billed"):
            _check_count(name, getattr(self, name))
        if self.ref is not None:
            _check_count("ref", self.ref)
            if self.ref >= self.index:
                raise ValueError(f"ref must be in [0, index) = [0, {self.index}), got {self.ref}")
            if self.prompt_tokens or self.completion_tokens:
                raise ValueError("a charge entry (ref set) must have prompt/completion_tokens 0")
            return
        if not isinstance(self.agent, str) or not self.agent:
            raise ValueError(f"agent must be a non-empty str, got {self.agent!r}")
        if not isinstance(self.role, Role):
            raise ValueError(f"role must be a Role, one of {[r.value for r in Role]}")
        if self.billed > self.prompt_tokens + self.completion_tokens:
            raise ValueError(
                f"billed must be in [0, prompt_tokens + completion_tokens] = "
                f"[0, {self.prompt_tokens + self.completion_tokens}], got {self.billed}"
            )
        if not isinstance(self.note, str):
            raise ValueError(f"note must be a str, got {type(self.note).__name__}")

    @property
    def generated(self) -> int:
        """Tokens read plus produced by this call."""
        return self.prompt_tokens + self.completion_tokens

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable dict of this entry."""
        return {
            "index": self.index,
            "round": self.round,
            "agent": self.agent,
            "role": self.role.value,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "billed": self.billed,
            "note": self.note,
            "ref": self.ref,
        }


class BudgetExceeded(Exception):
    """A charge was refused because it would overdraw the budget; nothing was recorded."""

    def __init__(self, requested: int, remaining: int, agent: str, role: Role | str) -> None:
        self.requested = requested
        self.remaining = remaining
        self.agent = agent
        self.role = Role(role)
        super().__init__(
            f"budget exceeded: requested={requested} remaining={remaining} "
            f"agent={agent!r} role={self.role.value!r}"
        )


_SENTINEL: Any = object()


class TokenLedger:
    """A token budget and the list of calls charged against it.

    Args:
        budget: total tokens that may be billed in the episode (> 0).
    """

    __slots__ = (
        "_billed",
        "_billed_by_agent",
        "_billed_on",
        "_budget",
        "_by_role",
        "_completion",
        "_entries",
        "_generated_by_agent",
        "_prompt",
    )

    def __init__(self, budget: int) -> None:
        budget = _as_int(budget)
        if isinstance(budget, bool) or not isinstance(budget, int) or budget <= 0:
            raise ValueError(f"budget must be an int > 0, got {budget!r}")
        self._budget = budget
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget every entry; the full budget is available again."""
        self._entries: list[LedgerEntry] = []
        self._billed_on: list[int] = []  # tokens billed against each entry's generation
        self._billed = 0
        self._prompt = 0
        self._completion = 0
        self._billed_by_agent: dict[str, int] = {}
        self._generated_by_agent: dict[str, int] = {}
        self._by_role: dict[Role, list[int]] = {}

    def _make_entry(
        self,
        index: int,
        agent: str,
        role: Role | str,
        prompt_tokens: int,
        completion_tokens: int,
        billed: int = _SENTINEL,
        round: int = 0,
        note: str = "",
    ) -> LedgerEntry:
        role_v = _role(role)
        prompt_tokens = _as_int(prompt_tokens)
        completion_tokens = _as_int(completion_tokens)
        if billed is _SENTINEL:
            try:
                billed = prompt_tokens + completion_tokens
            except TypeError:
                billed = 0  # LedgerEntry reports the bad count
        return LedgerEntry(
            index=index,
            round=_as_int(round),
            agent=agent,
            role=role_v,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            billed=_as_int(billed),
            note=note,
        )

    def _apply(self, e: LedgerEntry) -> None:
        self._entries.append(e)
        if e.ref is None:
            self._billed_on.append(e.billed)
        else:
            self._billed_on.append(0)
            self._billed_on[e.ref] += e.billed
        self._billed += e.billed
        self._prompt += e.prompt_tokens
        self._completion += e.completion_tokens
        self._billed_by_agent[e.agent] = self._billed_by_agent.get(e.agent, 0) + e.billed
        self._generated_by_agent[e.agent] = self._generated_by_agent.get(e.agent, 0) + e.generated
        acc = self._by_role.get(e.role)
        if acc is None:
            self._by_role[e.role] = [e.prompt_tokens, e.completion_tokens, e.billed]
        else:
            acc[0] += e.prompt_tokens
            acc[1] += e.completion_tokens
            acc[2] += e.billed

    # ---------------------------------------------------------------- records
    def record(
        self,
        agent: str,
        role: Role | str,
        prompt_tokens: int,
        completion_tokens: int,
        billed: int = _SENTINEL,
        round: int = 0,
        note: str = "",
    ) -> LedgerEntry:
        """Charge one call and return its entry.

        ``billed`` defaults to ``prompt_tokens + completion_tokens``. The arguments are validated
        first (``ValueError``); if ``billed`` exceeds :attr:`remaining`, :class:`BudgetExceeded`
        is raised and nothing is recorded.
        """
        e = self._make_entry(
            len(self._entries), agent, role, prompt_tokens, completion_tokens, billed, round, note
        )
        remaining = self._budget - self._billed
        if e.billed > remaining:
            raise BudgetExceeded(e.billed, remaining, e.agent, e.role)
        self._apply(e)
        return e

    def record_many(self, entries_spec: Iterable[Mapping[str, Any]]) -> list[LedgerEntry]:
        """Charge several calls atomically: all are recorded, or none (on any error).

        Each spec is a mapping of :meth:`record` keyword arguments (``agent``, ``role``,
        ``prompt_tokens``, ``completion_tokens`` and optionally ``billed``, ``round``, ``note``).
        Raises :class:`BudgetExceeded` (naming the first spec's agent and role and the summed
        request) if their billed sum exceeds :attr:`remaining`.
        """
        built: list[LedgerEntry] = []
        base = len(self._entries)
        for i, spec in enumerate(entries_spec):
            try:
                built.append(self._make_entry(base + i, **spec))
            except TypeError as exc:  # missing or unknown keys
                raise ValueError(f"entries_spec[{i}] is not a record() spec: {exc}") from None
        return self._commit(built)

    def _commit(self, built: list[LedgerEntry]) -> list[LedgerEntry]:
        """Record validated entries, all or none: refuse the lot if their sum would overdraw."""
        total = sum(e.billed for e in built)
        remaining = self._budget - self._billed
        if total > remaining:
            raise BudgetExceeded(total, remaining, built[0].agent, built[0].role)
        for e in built:
            self._apply(e)
        return built

    def unbilled(self, index: int) -> int:
        """Tokens of generation ``index`` not yet billed (by itself or by charges)."""
        e = self._entries[index]
        return e.generated - self._billed_on[index] if e.ref is None else 0

    def _make_charge(self, index: int, pending: dict[int, int], spec: Any) -> LedgerEntry:
        if isinstance(spec, Mapping):
            agent, role, tokens, ref = (spec["agent"], spec["role"], spec["tokens"], spec["ref"])
            rnd, note = spec.get("round", 0), spec.get("note", "")
        else:
            agent, role, tokens, ref, *rest = spec
            if len(rest) > 2:
                raise ValueError("a charge spec is (agent, role, tokens, ref[, round[, note]])")
            rnd = rest[0] if rest else 0
            note = rest[1] if len(rest) > 1 else ""
        ref = _as_int(ref)
        if isinstance(ref, bool) or not isinstance(ref, int) or not 0 <= ref < len(self._entries):
            raise ValueError(
                f"ref must be an entry index in [0, {len(self._entries)}), got {ref!r}"
            )
        target = self._entries[ref]
        if target.ref is not None:
            raise ValueError(f"ref must point at a generation, entry {ref} is itself a charge")
        if target.agent != agent:
            raise ValueError(
                f"agent must match entry {ref}'s agent {target.agent!r}, got {agent!r}"
            )
        role_v = _role(role)
        rnd = _as_int(rnd)
        _check_count("round", rnd)
        if not isinstance(note, str):
            raise ValueError(f"note must be a str, got {type(note).__name__}")
        tokens = _as_int(tokens)
        _check_count("tokens", tokens)
        left = self.unbilled(ref) - pending.get(ref, 0)
        if tokens > left:
            raise ValueError(
                f"tokens must be in [0, {left}] (unbilled tokens of entry {ref}), got {tokens}"
            )
        pending[ref] = pending.get(ref, 0) + tokens
        return LedgerEntry(index, rnd, agent, role_v, 0, 0, tokens, note, ref)

    def charge(
        self,
        agent: str,
        role: Role | str,
        tokens: int,
        ref: int,
        round: int = 0,
        note: str = "",
    ) -> LedgerEntry:
        """Bill ``tokens`` of the earlier generation ``ref`` (e.g. a draft that is broadcast).

        Raises ``ValueError`` if ``ref`` is not a generation of ``agent`` or ``tokens`` exceeds
        its :meth:`unbilled` tokens, and :class:`BudgetExceeded` (recording nothing) if
        ``tokens > remaining``.
        """
        return self.charge_many([(agent, role, tokens, ref, round, note)])[0]

    def charge_many(self, specs: Iterable[Any]) -> list[LedgerEntry]:
        """Several :meth:`charge` calls, atomically: all are recorded, or none (on any error).

        Each spec is a tuple ``(agent, role, tokens, ref[, round[, note]])`` or a mapping with
        those keys.
        """
        built: list[LedgerEntry] = []
        pending: dict[int, int] = {}
        base = len(self._entries)
        for spec in specs:
            built.append(self._make_charge(base + len(built), pending, spec))
        return self._commit(built)

    def can_afford(self, tokens: int) -> bool:
        """Whether ``tokens`` more billed tokens fit in the remaining budget."""
        return tokens <= self._budget - self._billed

    # ----------------------------------------------------------------- totals
    @property
    def budget(self) -> int:
        """The episode budget."""
        return self._budget

    @property
    def remaining(self) -> int:
        """Budget left to bill (never negative)."""
        return self._budget - self._billed

    @property
    def billed_total(self) -> int:
        """Sum of billed tokens."""
        return self._billed

    @property
    def generated_total(self) -> int:
        """Sum of prompt and completion tokens over all calls."""
        return self._prompt + self._completion

    @property
    def prompt_total(self) -> int:
        """Sum of prompt tokens."""
        return self._prompt

    @property
    def completion_total(self) -> int:
        """Sum of completion tokens."""
        return self._completion

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        """All recorded entries in order."""
        return tuple(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def billed_by_agent(self) -> dict[str, int]:
        """Billed tokens per agent (a copy)."""
        return dict(self._billed_by_agent)

    def generated_by_agent(self) -> dict[str, int]:
        """Generated tokens per agent (a copy)."""
        return dict(self._generated_by_agent)

    def by_role(self) -> dict[Role, tuple[int, int, int]]:
        """``role -> (prompt, completion, billed)`` for every role seen."""
        return {r: (v[0], v[1], v[2]) for r, v in self._by_role.items()}

    def to_records(self) -> list[dict[str, Any]]:
        """All entries as JSON-serialisable dicts (for traces)."""
        return [e.to_record() for e in self._entries]

    def __repr__(self) -> str:
        return (
            f"TokenLedger(budget={self._budget}, billed={self._billed}, "
            f"generated={self.generated_total}, entries={len(self._entries)})"
        )

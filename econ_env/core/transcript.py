"""The shared transcript of an episode: messages with per-agent visibility.

A :class:`Message` is either public (``visible_to is None``) or private to a set of agents
(e.g. a draft that only its author and nobody else may read). :meth:`Transcript.view` returns
what one agent may see — public messages, messages addressed to it, and its own messages — in
insertion order. Views are maintained incrementally per agent, so :meth:`Transcript.view` and
:meth:`Transcript.since` cost O(visible messages) at most and O(1) when nothing changed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Message", "Transcript"]


@dataclass(frozen=True)
class Message:
    """One message in the transcript.

    Attributes:
        index: position in the transcript (0-based, increasing).
        round: game round (>= 0).
        speaker: agent (or in-env role such as ``"coordinator"``) that wrote it.
        role: what the message is (``"draft"``, ``"broadcast"``, ``"strategy"``, ...).
        text: the message text.
        visible_to: agents allowed to read it besides the speaker; ``None`` means public.
        tokens: its length in tokens (>= 0).
        answer: the answer extracted from it, if any.
    """

    index: int
    round: int
    speaker: str
    role: str
    text: str
    visible_to: frozenset[str] | None = None
    tokens: int = 0
    answer: str | None = None

    def __post_init__(self) -> None:
        for name in ("index", "round", "tokens"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"{name} must be an int >= 0, got {v!r}")
        if not isinstance(self.speaker, str) or not self.speaker:
            raise ValueError(f"speaker must be a non-empty str, got {self.speaker!r}")
        if not isinstance(self.role, str):
            raise ValueError(f"role must be a str, got {self.role!r}")
        if not isinstance(self.text, str):
            raise ValueError(f"text must be a str, got {type(self.text).__name__}")
        if self.visible_to is not None and (
            not isinstance(self.visible_to, frozenset)
            or not all(type(a) is str for a in self.visible_to)
        ):
            raise ValueError("visible_to must be None (public) or a frozenset of agent names")
        if self.answer is not None and not isinstance(self.answer, str):
            raise ValueError(f"answer must be a str or None, got {self.answer!r}")

    @property
    def public(self) -> bool:
        """Whether every agent may read this message."""
        return self.visible_to is None

    def visible_for(self, agent: str) -> bool:
        """Whether ``agent`` may read this message."""
        return self.visible_to is None or agent == self.speaker or agent in self.visible_to

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable dict of this message (``visible_to`` as a sorted list)."""
        return {
            "index": self.index,
            "round": self.round,
            "speaker": self.speaker,
            "role": self.role,
            "text": self.text,
            "visible_to": None if self.visible_to is None else sorted(self.visible_to),
            "tokens": self.tokens,
            "answer": self.answer,
        }


def _index_of(m: Message) -> int:
    return m.index


class Transcript:
    """An append-only list of messages with cheap per-agent views."""

    __slots__ = ("_cache", "_messages", "_public", "_views")

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Remove every message."""
        self._messages: list[Message] = []
        self._public: list[Message] = []
        # agent -> messages visible to it, in order. An agent enters this dict the first time a
        # private message involves it; until then its view is exactly the public list.
        self._views: dict[str, list[Message]] = {}
        self._cache: dict[str, tuple[Message, ...]] = {}

    def _view_list(self, agent: str) -> list[Message]:
        lst = self._views.get(agent)
        if lst is None:
            lst = list(self._public)
            self._views[agent] = lst
        return lst

    def add(
        self,
        round: int,
        speaker: str,
        role: str,
        text: str,
        *,
        visible_to: Iterable[str] | None = None,
        tokens: int = 0,
        answer: str | None = None,
    ) -> Message:
        """Append a message and return it.

        ``visible_to=None`` makes it public; otherwise only the speaker and the named agents see
        it (an empty collection makes it private to the speaker).
        """
        if visible_to is not None and not isinstance(visible_to, frozenset):
            if isinstance(visible_to, str):
                raise ValueError("visible_to must be a collection of agent names, not a str")
            visible_to = frozenset(visible_to)
        msg = Message(
            index=len(self._messages),
            round=round,
            speaker=speaker,
            role=role,
            text=text,
            visible_to=visible_to,
            tokens=tokens,
            answer=answer,
        )
        self._messages.append(msg)
        if visible_to is None:
            self._public.append(msg)
            for lst in self._views.values():
                lst.append(msg)
            self._cache.clear()
        else:
            for agent in visible_to | {speaker}:
                self._view_list(agent).append(msg)
                self._cache.pop(agent, None)
        return msg

    def view(self, agent: str) -> tuple[Message, ...]:
        """Messages ``agent`` may read, in order."""
        cached = self._cache.get(agent)
        if cached is None:
            lst = self._views.get(agent, self._public)
            cached = tuple(lst)
            self._cache[agent] = cached
        return cached

    def public(self) -> tuple[Message, ...]:
        """Public messages, in order."""
        return tuple(self._public)

    def since(self, index: int, agent: str) -> tuple[Message, ...]:
        """Messages visible to ``agent`` whose index is greater than ``index`` (use -1 for all)."""
        lst = self._views.get(agent, self._public)
        start = bisect_right(lst, index, key=_index_of)
        return tuple(lst[start:])

    @property
    def messages(self) -> tuple[Message, ...]:
        """Every message (public and private), in order — for traces, not for agents."""
        return tuple(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def to_records(self) -> list[dict[str, Any]]:
        """All messages as JSON-serialisable dicts."""
        return [m.to_record() for m in self._messages]

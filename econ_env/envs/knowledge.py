"""Which facts of a ``split_facts`` item each agent knows (information asymmetry).

On tasks whose items carry facts (:mod:`econ_env.tasks.split_facts`) every agent starts with its
own share (fact ``j`` is held by agent ``j % n_agents``) and learns facts from the messages it
reads:

* auction_v0: when agent ``w``'s message is broadcast, every other agent adds ``w``'s known set
  (as of the broadcast) to its own, unless the broadcast carries no facts
  (:func:`carries_facts`: a ``"keywords"`` tier message carries none);
* debate_v0: a coordinator's commitment carries the union of the known sets of the executors
  whose answers it read; executors reading a commitment add the committing coordinator's set.

:class:`FactKnowledge` holds the known sets and, per agent, the set it knew at its previous
completion, so a game can tell the simulated backend ``facts_known`` (the known fraction) and
``learned`` (the set grew since the previous completion). Updates are functional
(:meth:`FactKnowledge.after_broadcast` returns new sets) so a game can build a round's requests
before it applies anything (rounds are all or nothing). For items without facts every fraction
is 1.0 and nothing is ever learned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from econ_env.tasks.base import TaskItem
from econ_env.tasks.split_facts import item_facts, share_indices

__all__ = ["NO_FACT_TIERS", "FactKnowledge", "carries_facts"]

NO_FACT_TIERS: frozenset[str] = frozenset({"keywords"})
"""Message tiers whose broadcast carries no facts."""


def carries_facts(tier: str | None) -> bool:
    """Whether a broadcast of message tier ``tier`` (``None`` = the full message) carries its
    author's facts to the listeners (every tier but ``"keywords"``)."""
    return tier not in NO_FACT_TIERS


class FactKnowledge:
    """Known fact indices of ``n_agents`` agents on one item (see the module docstring)."""

    def __init__(self, item: TaskItem | None, n_agents: int) -> None:
        self.n_facts = len(item_facts(item)) if item is not None else 0
        self.n_agents = int(n_agents)
        self.known: list[frozenset[int]] = [
            share_indices(self.n_facts, i, self.n_agents) for i in range(self.n_agents)
        ]
        self.used: list[frozenset[int]] = list(self.known)

    @property
    def active(self) -> bool:
        """Whether the item has facts."""
        return self.n_facts > 0

    def fraction_of(self, known: Iterable[int]) -> float:
        """Fraction of the item's facts in ``known`` (1.0 for an item without facts)."""
        return len(frozenset(known)) / self.n_facts if self.n_facts else 1.0

    def fraction(self, i: int) -> float:
        """Fraction of the item's facts agent ``i`` knows now."""
        return self.fraction_of(self.known[i])

    def fractions(self) -> list[float]:
        """Every agent's known fraction, in agent order."""
        return [self.fraction(i) for i in range(self.n_agents)]

    def learned(self, i: int, known: frozenset[int] | None = None) -> bool:
        """Whether agent ``i``'s known set (``known``, default its current one) grew since its
        previous completion."""
        return (self.known[i] if known is None else known) != self.used[i]

    def after_broadcast(
        self, speakers: Sequence[int], tiers: Sequence[str | None] | None = None
    ) -> list[frozenset[int]]:
        """The known sets after ``speakers`` broadcast (``tiers[k]``: speaker ``k``'s message
        tier, ``None`` = full); every agent but the speaker itself hears each message.
        Nothing changes here: :meth:`apply` the result."""
        out = list(self.known)
        for k, w in enumerate(speakers):
            tier = tiers[k] if tiers is not None else None
            if not carries_facts(tier):
                continue
            for i in range(self.n_agents):
                if i != w:
                    out[i] = out[i] | self.known[w]
        return out

    def apply(self, known: Sequence[frozenset[int]]) -> None:
        """Make ``known`` the current known sets."""
        if len(known) != self.n_agents:
            raise ValueError(f"known must have {self.n_agents} sets, got {len(known)}")
        self.known = list(known)

    def completed(self, who: Iterable[int]) -> None:
        """Record that agents ``who`` wrote a completion with their current known sets."""
        for i in who:
            self.used[i] = self.known[i]

"""``split_facts``: procedural numeric problems whose facts are split among the agents.

Optima-style information asymmetry: each item is a word problem whose question names the
quantities to combine but *not* the numbers they depend on; those numbers are stated in
``item.meta["facts"]``, a tuple of fact strings ("Each red box holds 7 marbles."). The answer
needs every fact: it is ``sum_j count_j * value_j`` where the question gives the counts
(each >= 1) and fact ``j`` gives ``value_j``, so changing any fact's number changes the gold.

Shares: fact ``j`` is held by agent ``j % n_agents`` (:func:`facts_of`; an agent may hold no
fact when ``n_facts < n_agents``). The environments show an agent only its share
(:func:`share_question` builds the user message text) and track which facts each agent has
learned from the messages it read (:mod:`econ_env.envs.knowledge`). Gold answers are the full
problem's answer, so real backends get each agent's share in its prompt and answers are
checked against the full problem.

The source is seedable and unlimited like :mod:`econ_env.tasks.arithmetic`: ``sample(rng)``
draws an index from ``rng`` only and item ``idx`` is regenerated from ``(seed, n_facts, idx)``;
ids are ``"split_facts/<n_facts>/<seed>/<idx>"`` and ``get(id)`` rebuilds the item.
``meta["difficulty"]`` in [0, 1] grows with the number of facts and the size of the counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from econ_env.tasks.base import TaskItem

__all__ = [
    "MAX_FACTS",
    "MIN_FACTS",
    "SplitFactsSource",
    "facts_of",
    "item_facts",
    "known_question",
    "make_split_facts",
    "share_indices",
    "share_question",
    "task_has_facts",
]

MIN_FACTS = 2
MAX_FACTS = 8
_SIZE = 2**31 - 1
_COLORS = ("red", "blue", "green", "yellow", "white", "black", "purple", "orange")
_THINGS = (
    ("box", "boxes", "marbles"),
    ("basket", "baskets", "apples"),
    ("jar", "jars", "coins"),
    ("crate", "crates", "bottles"),
    ("bag", "bags", "shells"),
)


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def item_facts(item: TaskItem) -> tuple[str, ...]:
    """The item's facts (``meta["facts"]``); ``()`` for an item without facts."""
    facts = item.meta.get("facts") if item.meta else None
    return tuple(facts) if facts else ()


def share_indices(n_facts: int, agent_index: int, n_agents: int) -> frozenset[int]:
    """Indices of the facts agent ``agent_index`` holds: ``{j : j % n_agents == agent_index}``."""
    if not _is_int(n_agents) or n_agents < 1:
        raise ValueError(f"n_agents must be an integer >= 1, got {n_agents!r}")
    if not _is_int(agent_index) or not 0 <= agent_index < n_agents:
        raise ValueError(
            f"agent_index must be an integer in [0, {n_agents - 1}], got {agent_index!r}"
        )
    return frozenset(range(int(agent_index), int(n_facts), int(n_agents)))


def facts_of(item: TaskItem, agent_index: int, n_agents: int) -> tuple[str, ...]:
    """The facts of ``item`` that agent ``agent_index`` of ``n_agents`` holds (fact ``j`` goes to
    agent ``j % n_agents``), in fact order; ``()`` for an item without facts."""
    facts = item_facts(item)
    return tuple(facts[j] for j in sorted(share_indices(len(facts), agent_index, n_agents)))


def share_question(item: TaskItem, agent_index: int, n_agents: int) -> str:
    """The user-message text of agent ``agent_index``: the question followed by its share.

    ``question + "\\n\\nFacts you know:\\n- fact..."``, or ``question + "\\n\\nFacts you know:
    none."`` for an agent holding no fact; exactly ``item.question`` for an item without facts.
    """
    if not item_facts(item):
        return item.question
    return known_question(item, share_indices(len(item_facts(item)), agent_index, n_agents))


def known_question(item: TaskItem, known: Iterable[int]) -> str:
    """The question followed by the facts with indices ``known``, in fact order, in
    :func:`share_question`'s format (which is this function on an agent's share).

    The games use it with ``carry_facts=True``: a prompt then lists every fact its agent knows
    at that moment, its own share and those the messages it read carried. Exactly
    ``item.question`` for an item without facts; ``ValueError`` for an index outside the item's
    facts.
    """
    facts = item_facts(item)
    if not facts:
        return item.question
    idx = sorted(frozenset(known))
    bad = [j for j in idx if not _is_int(j) or not 0 <= j < len(facts)]
    if bad:
        raise ValueError(f"known fact indices must be in [0, {len(facts) - 1}], got {bad}")
    if not idx:
        return item.question + "\n\nFacts you know: none."
    return item.question + "\n\nFacts you know:\n" + "\n".join("- " + facts[j] for j in idx)


def task_has_facts(task: Any) -> bool:
    """Whether a task (a registered name or a ``TaskSource``) hands out items with facts.

    True for the name ``"split_facts"`` and for any source with a true ``has_facts`` attribute
    (the environments then add the ``facts_known`` observation field).
    """
    if isinstance(task, str):
        return task == "split_facts"
    return bool(getattr(task, "has_facts", False))


class SplitFactsSource:
    """Unlimited, seedable split-facts problems (see the module docstring).

    Args:
        n_facts: facts per item, in [2, 8] (default 3).
        seed: seed of the item generator (items depend on ``(seed, n_facts, idx)`` only).
    """

    has_facts = True

    def __init__(self, n_facts: int = 3, seed: int = 0) -> None:
        if not _is_int(n_facts) or not MIN_FACTS <= n_facts <= MAX_FACTS:
            raise ValueError(
                f"n_facts must be an integer in [{MIN_FACTS}, {MAX_FACTS}], got {n_facts!r}"
            )
        if not _is_int(seed) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
        self.n_facts = int(n_facts)
        self.seed = int(seed)
        self.name = "split_facts"
        self._prefix = f"split_facts/{self.n_facts}/{self.seed}/"

    def ids(self) -> None:
        """``None``: the source is unlimited."""
        return None

    def sample(self, rng: np.random.Generator) -> TaskItem:
        """Draw one item; the index comes from ``rng`` only."""
        return self.make(int(rng.integers(_SIZE)))

    def get(self, item_id: str) -> TaskItem:
        """Rebuild the item with this id (``KeyError`` for an id of other settings)."""
        if not isinstance(item_id, str) or not item_id.startswith(self._prefix):
            raise KeyError(item_id)
        tail = item_id[len(self._prefix) :]
        if not tail.isdigit() or int(tail) >= _SIZE:
            raise KeyError(item_id)
        return self.make(int(tail))

    def make(self, idx: int) -> TaskItem:
        """Item number ``idx`` (``0 <= idx < 2**31 - 1``)."""
        g = np.random.default_rng([self.seed, self.n_facts, int(idx)])
        n = self.n_facts
        singular, plural, things = _THINGS[int(g.integers(len(_THINGS)))]
        colors = [_COLORS[int(c)] for c in g.permutation(len(_COLORS))[:n]]
        values = [int(v) for v in g.integers(2, 21, size=n)]
        counts = [int(c) for c in g.integers(1, 5, size=n)]
        facts = tuple(
            f"Each {c} {singular} holds {v} {things}." for c, v in zip(colors, values, strict=True)
        )
        parts = [
            f"{k} {c} {singular if k == 1 else plural}" for c, k in zip(colors, counts, strict=True)
        ]
        listing = ", ".join(parts[:-1]) + " and " + parts[-1]
        question = (
            f"A shop has {listing}. All {plural} of one color hold the same number of "
            f"{things}; the team members each know some of these numbers. How many {things} "
            f"are there in all the {plural} together?"
        )
        gold = sum(k * v for k, v in zip(counts, values, strict=True))
        difficulty = min(1.0, 0.2 + 0.08 * (n - MIN_FACTS) + 0.1 * (sum(counts) / n - 1.0))
        return TaskItem(
            id=f"{self._prefix}{int(idx)}",
            question=question,
            gold=str(gold),
            kind="numeric",
            meta={
                "facts": facts,
                "difficulty": difficulty,
                "source": "split_facts",
                "counts": tuple(counts),
                "values": tuple(values),
            },
        )


def make_split_facts(n_facts: int = 3, seed: int = 0) -> SplitFactsSource:
    """The ``split_facts`` task source (registered as ``make_task("split_facts", ...)``)."""
    return SplitFactsSource(n_facts=n_facts, seed=seed)

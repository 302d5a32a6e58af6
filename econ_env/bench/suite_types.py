"""The data types of econ-bench suites: :class:`SuiteCase`, :class:`Suite`, :class:`EpisodeSpec`.

A :class:`Suite` is a list of :class:`SuiteCase` (an env, its config overrides, fixed item ids,
budgets and seeds); :meth:`Suite.episodes` expands it into :class:`EpisodeSpec` in a fixed order
(case, item, budget, seed). Every field is validated on construction with an error naming it.
The shipped suites are defined in :mod:`econ_env.bench.suites` (v0) and
:mod:`econ_env.bench.suites_v1`; :func:`econ_env.bench.suites.get_suite` finds them by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from econ_env.registry import ENVS as _REGISTRY

__all__ = ["ENVS", "EpisodeSpec", "Suite", "SuiteCase", "episode_id", "suite_gold"]

ENVS: tuple[str, ...] = tuple(name for name, info in _REGISTRY.items() if info.bench)
"""The environments a case may use: the registry's envs marked ``bench=True``."""
GOLD_MODES = ("bundled", "external")


def _need(ok: bool, cls: str, name: str, allowed: str, value: Any) -> None:
    if not ok:
        raise ValueError(f"{cls}.{name} must be {allowed}, got {value!r}")


def _positive_ints(values: Any) -> bool:
    return (
        isinstance(values, tuple)
        and len(values) > 0
        and all(type(v) is int and v > 0 for v in values)
        and len(set(values)) == len(values)
    )


@dataclass(frozen=True)
class SuiteCase:
    """One env setting of a suite.

    Attributes:
        name: case name, unique in its suite and free of ``|`` (e.g. ``"auction-gsm8k"``).
        env: a registry env name in :data:`ENVS` (``"auction_v0"``, ``"debate_v0"``).
        config: env config overrides (JSON-serialisable; includes ``"task"``; never ``"budget"``).
        item_ids: the task items, unique, non-empty.
        budgets: billed-token budgets, unique ints > 0.
        seeds: episode seeds, unique ints >= 0.
    """

    name: str
    env: str
    config: Mapping[str, Any]
    item_ids: tuple[str, ...]
    budgets: tuple[int, ...]
    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        c = "SuiteCase"
        ok_name = isinstance(self.name, str) and bool(self.name) and "|" not in self.name
        _need(ok_name, c, "name", "a non-empty string without '|'", self.name)
        _need(self.env in ENVS, c, "env", f"one of {list(ENVS)}", self.env)
        ok_cfg = isinstance(self.config, Mapping) and "task" in self.config
        _need(ok_cfg, c, "config", "a mapping that names the 'task'", self.config)
        _need("budget" not in self.config, c, "config", "free of 'budget'", self.config)
        ok_ids = (
            isinstance(self.item_ids, tuple)
            and len(self.item_ids) > 0
            and all(isinstance(i, str) and i and "|" not in i for i in self.item_ids)
            and len(set(self.item_ids)) == len(self.item_ids)
        )
        _need(ok_ids, c, "item_ids", "a non-empty tuple of unique ids", self.item_ids)
        _need(_positive_ints(self.budgets), c, "budgets", "unique ints > 0", self.budgets)
        ok_seeds = isinstance(self.seeds, tuple) and all(type(s) is int for s in self.seeds)
        ok_seeds = ok_seeds and _positive_ints(tuple(s + 1 for s in self.seeds))
        _need(ok_seeds, c, "seeds", "unique ints >= 0", self.seeds)


@dataclass(frozen=True)
class EpisodeSpec:
    """One episode of a suite: play ``item_id`` with ``config`` + ``budget`` and ``seed``."""

    episode_id: str
    case: str
    env: str
    config: dict
    item_id: str
    budget: int
    seed: int

    def __post_init__(self) -> None:
        expected = episode_id(self.case, self.item_id, self.budget, self.seed)
        _need(self.episode_id == expected, "EpisodeSpec", "episode_id", repr(expected), self)
        _need(self.env in ENVS, "EpisodeSpec", "env", f"one of {list(ENVS)}", self.env)

    def env_config(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The full env keyword arguments: ``config`` + ``overrides`` + ``budget``."""
        return {**self.config, **(overrides or {}), "budget": self.budget}


def episode_id(case: str, item_id: str, budget: int, seed: int) -> str:
    """``f"{case}|{item_id}|b{budget}|s{seed}"``."""
    return f"{case}|{item_id}|b{budget}|s{seed}"


@dataclass(frozen=True)
class Suite:
    """A versioned list of cases.

    Attributes:
        name: e.g. ``"econ-bench-v0/dev"``.
        version: semantic version of the suite's content (e.g. ``"0.1.0"``).
        cases: the cases, with unique names.
        gold: ``"bundled"`` (gold ships with the package) or ``"external"`` (a gold file).
    """

    name: str
    version: str
    cases: tuple[SuiteCase, ...]
    gold: str

    def __post_init__(self) -> None:
        ok_name = isinstance(self.name, str) and bool(self.name)
        _need(ok_name, "Suite", "name", "a non-empty string", self.name)
        ok_v = isinstance(self.version, str) and bool(self.version)
        _need(ok_v, "Suite", "version", "a non-empty string", self.version)
        ok_cases = (
            isinstance(self.cases, tuple)
            and len(self.cases) > 0
            and all(isinstance(c, SuiteCase) for c in self.cases)
            and len({c.name for c in self.cases}) == len(self.cases)
        )
        _need(ok_cases, "Suite", "cases", "a non-empty tuple of uniquely named SuiteCase", None)
        _need(self.gold in GOLD_MODES, "Suite", "gold", f"one of {list(GOLD_MODES)}", self.gold)

    def case(self, name: str) -> SuiteCase:
        """The case called ``name`` (``ValueError`` listing the cases otherwise)."""
        for c in self.cases:
            if c.name == name:
                return c
        raise ValueError(f"suite {self.name!r} has no case {name!r}; cases: {self.case_names()}")

    def case_names(self) -> list[str]:
        """The case names, in order."""
        return [c.name for c in self.cases]

    def episodes(
        self, limit: int | None = None, *, budgets: Sequence[int] | None = None
    ) -> list[EpisodeSpec]:
        """Every episode in order (case, item, budget, seed).

        ``limit`` keeps the first ``limit`` items of every case (all budgets and seeds for them);
        ``budgets`` replaces every case's budgets (the budget sweep).
        """
        if limit is not None and (type(limit) is not int or limit < 1):
            raise ValueError(f"limit must be None or an int >= 1, got {limit!r}")
        if budgets is not None:
            budgets = tuple(budgets)
            if not _positive_ints(budgets):
                raise ValueError(f"budgets must be unique ints > 0, got {budgets!r}")
        out = []
        for c in self.cases:
            items = c.item_ids if limit is None else c.item_ids[:limit]
            for item in items:
                for b in c.budgets if budgets is None else budgets:
                    for s in c.seeds:
                        out.append(
                            EpisodeSpec(episode_id(c.name, item, b, s), c.name, c.env,
                                        dict(c.config), item, b, s)
                        )  # fmt: skip
        return out

    def kind_for(self, item_id: str, case: str) -> str:
        """The answer kind of ``item_id`` in ``case`` (from the case's task source)."""
        return _task_item(self.case(case).config["task"], item_id).kind

    def gold_for(self, item_id: str, case: str) -> tuple[str, str]:
        """``(gold, kind)`` of ``item_id`` in ``case``; only for ``gold="bundled"`` suites."""
        if self.gold != "bundled":
            raise ValueError(
                f"suite {self.name!r} keeps its gold outside the package; pass a gold file"
            )
        c = self.case(case)
        if item_id not in c.item_ids:
            raise ValueError(f"item {item_id!r} is not in case {case!r} of suite {self.name!r}")
        item = _task_item(c.config["task"], item_id)
        return item.gold, item.kind


def suite_gold(suite: Suite) -> dict[str, str]:
    """``{item_id: gold}`` of every item of ``suite``, from the package's task sources.

    This is the maintainer's gold file of an ``external``-gold suite
    (``econ-env bench gold --suite econ-bench-v1/test --out gold.json``), for the items whose
    data the package holds (all shipped suites); keep it outside the submissions tree.
    """
    gold: dict[str, str] = {}
    for case in suite.cases:
        for item_id in case.item_ids:
            gold[item_id] = _task_item(case.config["task"], item_id).gold
    return gold


@lru_cache(maxsize=4096)
def _task_item(task: str, item_id: str) -> Any:
    return _task_source(task).get(item_id)


@lru_cache(maxsize=16)
def _task_source(task: str) -> Any:
    from econ_env.tasks import make_task

    return make_task(task)

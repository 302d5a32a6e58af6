"""econ-bench suites by name: the v0 suites defined here, v1 in :mod:`econ_env.bench.suites_v1`.

The types (:class:`Suite`, :class:`SuiteCase`, :class:`EpisodeSpec`) live in
:mod:`econ_env.bench.suite_types` and are re-exported here. Four suites ship:

* ``econ-bench-v0/dev`` — gold answers ship with the package (``gold="bundled"``): auction_v0 on
  GSM8K (bundled sample) and on reasoning-gym arithmetic, debate_v0 (hashed embedder) on GSM8K
  and MMLU; 30 items per case.
* ``econ-bench-v0/test`` — other items; its gold is held outside the package (``gold="external"``)
  and passed to ``verify_submission(..., gold_file=...)`` as a JSON object ``{item_id: gold}``.
* ``econ-bench-v1/dev`` and ``econ-bench-v1/test`` — v0's cases plus the regimes where
  communication pays (one expert, split facts, tiered messages) and HumanEval code, defined in
  :mod:`econ_env.bench.suites_v1`.

Item ids are written out below (not derived from a data file's order), so a suite's episodes
only change when its ``version`` does.
"""

from __future__ import annotations

from functools import cache

from econ_env.bench import suites_v1
from econ_env.bench.suite_types import (
    ENVS,
    EpisodeSpec,
    Suite,
    SuiteCase,
    episode_id,
    suite_gold,
)

__all__ = [
    "ENVS",
    "EpisodeSpec",
    "Suite",
    "SuiteCase",
    "episode_id",
    "get_suite",
    "list_suites",
    "suite_gold",
]

# ----------------------------------------------------------------------------- econ-bench-v0
VERSION = "0.1.0"
_SEEDS = (0, 1)
_AUCTION_BUDGETS = (512, 1024, 2048)
_DEBATE_BUDGETS = (2048, 4096, 8192)
_N = 30  # items per case

# Item numbers of the bundled test-split samples (ids ``gsm8k/test/<n>``, ``mmlu/test/<n>``):
# the sample's first 30 items for dev, the next 30 for test.
_GSM8K = {
    "dev": (1, 4, 16, 19, 20, 29, 30, 33, 40, 41, 48, 50, 66, 67, 68, 77, 78, 90, 91, 96, 109,
            111, 115, 116, 117, 119, 128, 138, 139, 140),
    "test": (151, 154, 156, 159, 160, 161, 163, 165, 168, 176, 177, 178, 179, 183, 188, 189,
             190, 201, 207, 210, 214, 219, 225, 237, 244, 252, 253, 260, 273, 277),
}  # fmt: skip
_MMLU = {
    "dev": (0, 121, 320, 436, 748, 859, 908, 913, 919, 923, 931, 1005, 1014, 1022, 1059, 1092,
            1110, 1114, 1133, 1142, 1151, 1235, 1245, 1251, 1294, 1321, 1450, 1451, 1469, 1493),
    "test": (1500, 1550, 1561, 1562, 1573, 1581, 1602, 1630, 1656, 1670, 1695, 1785, 1828, 1874,
             1888, 1906, 1927, 1973, 1977, 1978, 1985, 2025, 2032, 2252, 2346, 2409, 2635, 2756,
             2777, 2786),
}  # fmt: skip
# reasoning-gym basic_arithmetic: dataset seed per split, items 0..29.
_ARITH_SEED = {"dev": 2024, "test": 2025}


def _build(split: str) -> Suite:
    gsm = tuple(f"gsm8k/test/{n}" for n in _GSM8K[split])
    mmlu = tuple(f"mmlu/test/{n}" for n in _MMLU[split])
    arith = tuple(f"rg/basic_arithmetic/{_ARITH_SEED[split]}/{i}" for i in range(_N))
    auction = {"n_agents": 3}
    debate = {"n_agents": 3, "embedder": "hashed"}
    cases = (
        SuiteCase("auction-gsm8k", "auction_v0", {**auction, "task": "gsm8k"}, gsm,
                  _AUCTION_BUDGETS, _SEEDS),
        SuiteCase("auction-arithmetic", "auction_v0", {**auction, "task": "arithmetic"}, arith,
                  _AUCTION_BUDGETS, _SEEDS),
        SuiteCase("debate-gsm8k", "debate_v0", {**debate, "task": "gsm8k"}, gsm,
                  _DEBATE_BUDGETS, _SEEDS),
        SuiteCase("debate-mmlu", "debate_v0", {**debate, "task": "mmlu"}, mmlu,
                  _DEBATE_BUDGETS, _SEEDS),
    )  # fmt: skip
    gold = "bundled" if split == "dev" else "external"
    return Suite(f"econ-bench-v0/{split}", VERSION, cases, gold)


_SUITES = {f"econ-bench-{v}/{s}": (v, s) for v in ("v0", "v1") for s in ("dev", "test")}


def list_suites() -> list[str]:
    """The names of the shipped suites."""
    return sorted(_SUITES)


@cache
def get_suite(name: str) -> Suite:
    """The suite called ``name`` (``ValueError`` listing the suites otherwise)."""
    if name not in _SUITES:
        raise ValueError(f"unknown suite {name!r}; one of {list_suites()}")
    version, split = _SUITES[name]
    if version == "v1":
        return suites_v1.build(split)
    return _build(split)

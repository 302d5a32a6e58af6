"""Shared bench fixtures: a two-item suite whose complete run is cheap, and honest runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from econ_env.bench.runner import run_suite
from econ_env.bench.suites import Suite, SuiteCase, get_suite, list_suites

TINY_ITEMS = ("rg/basic_arithmetic/2024/0", "rg/basic_arithmetic/2024/1")
TINY = Suite(
    "tiny/v0",
    "0.1.0",
    (
        SuiteCase(
            "auction-arithmetic",
            "auction_v0",
            {"n_agents": 3, "task": "arithmetic"},
            TINY_ITEMS,
            (512,),
            (0,),
        ),
    ),
    "bundled",
)
"""Two episodes in all: a complete run of it is ranked, a ``limit=1`` run is partial."""


@pytest.fixture(scope="session")
def suites() -> dict[str, Suite]:
    """The shipped suites plus :data:`TINY` (pass as ``verify_submission(..., suites=...)``)."""
    return {**{n: get_suite(n) for n in list_suites()}, TINY.name: TINY}


@pytest.fixture(scope="session")
def tiny_complete(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete run of :data:`TINY` (policy ``truthful``)."""
    out = tmp_path_factory.mktemp("tiny_complete")
    run_suite(TINY, "truthful", out, progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_partial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An honest run of :data:`TINY` with ``limit=1`` and ``budgets=[1000000]``."""
    out = tmp_path_factory.mktemp("tiny_partial")
    run_suite(TINY, "truthful", out, limit=1, budgets=[1_000_000], progress=False)
    return out


@pytest.fixture(scope="session")
def dev_limit1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An honest ``econ-bench-v0/dev`` run with ``limit=1`` (24 episodes)."""
    out = tmp_path_factory.mktemp("dev_limit1")
    run_suite("econ-bench-v0/dev", "truthful", out, limit=1, progress=False)
    return out

"""Shipped environment checks (PettingZoo's suite, golden transcripts, reset and leak tests)."""

from econ_env.testing.checks import (
    CanaryBackend,
    check_no_leak,
    check_reset_isolation,
    play,
    run_all_checks,
)
from econ_env.testing.golden import GOLDEN_CASES, check_golden

__all__ = [
    "GOLDEN_CASES",
    "CanaryBackend",
    "check_golden",
    "check_no_leak",
    "check_reset_isolation",
    "play",
    "run_all_checks",
]

"""Deprecated since econ-env 0.2: the report moved to :mod:`econ_env.calibration.report`.

This module re-exports its names for one release and warns ``DeprecationWarning`` when
imported.
"""

import warnings

from econ_env.calibration.report import (
    ANSWER_ROLES,
    DIFFICULTY_BINS,
    LENGTH_ROLES,
    auc,
    format_comparison,
    simulate_report,
    summarize,
)
from econ_env.calibration.types import FitReport, SkillEstimate

__all__ = [
    "ANSWER_ROLES",
    "DIFFICULTY_BINS",
    "LENGTH_ROLES",
    "FitReport",
    "SkillEstimate",
    "auc",
    "format_comparison",
    "simulate_report",
    "summarize",
]

warnings.warn(
    "econ_env.llm.calibrate_report is deprecated; use econ_env.calibration.report",
    DeprecationWarning,
    stacklevel=2,
)

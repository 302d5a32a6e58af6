"""Deprecated since econ-env 0.2: calibration moved to :mod:`econ_env.calibration`.

This module re-exports its names for one release and warns ``DeprecationWarning`` when
imported.
"""

import warnings

from econ_env.calibration import (
    DEFAULT_ENV_KWARGS,
    DEFAULT_POLICIES,
    ENVS,
    FitReport,
    SkillEstimate,
    TraceRecorder,
    TraceRow,
    auc,
    fit_sim_params,
    format_comparison,
    load_traces,
    record_traces,
    save_traces,
    simulate_report,
    summarize,
)

__all__ = [
    "DEFAULT_ENV_KWARGS",
    "DEFAULT_POLICIES",
    "ENVS",
    "FitReport",
    "SkillEstimate",
    "TraceRecorder",
    "TraceRow",
    "auc",
    "fit_sim_params",
    "format_comparison",
    "load_traces",
    "record_traces",
    "save_traces",
    "simulate_report",
    "summarize",
]

warnings.warn(
    "econ_env.llm.calibrate is deprecated; use econ_env.calibration",
    DeprecationWarning,
    stacklevel=2,
)

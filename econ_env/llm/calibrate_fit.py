"""Deprecated since econ-env 0.2: the fit moved to :mod:`econ_env.calibration.fit`.

This module re-exports its names for one release and warns ``DeprecationWarning`` when
imported.
"""

import warnings

from econ_env.calibration.fit import (
    EFFECT_PRIOR_SD,
    SKILL_PRIOR_SD,
    FitReport,
    SkillEstimate,
    fit_sim_params,
)

__all__ = [
    "EFFECT_PRIOR_SD",
    "SKILL_PRIOR_SD",
    "FitReport",
    "SkillEstimate",
    "fit_sim_params",
]

warnings.warn(
    "econ_env.llm.calibrate_fit is deprecated; use econ_env.calibration.fit",
    DeprecationWarning,
    stacklevel=2,
)

"""Deprecated since econ-env 0.2: the signal fits moved to :mod:`econ_env.calibration.signals`.

This module re-exports its names for one release and warns ``DeprecationWarning`` when
imported.
"""

import warnings

from econ_env.calibration.signals import (
    MIN_ROWS,
    REFERENCE_CAPS,
    confidence_fit,
    length_fit,
    prompt_fit,
)

__all__ = [
    "MIN_ROWS",
    "REFERENCE_CAPS",
    "confidence_fit",
    "length_fit",
    "prompt_fit",
]

warnings.warn(
    "econ_env.llm.calibrate_signals is deprecated; use econ_env.calibration.signals",
    DeprecationWarning,
    stacklevel=2,
)

"""Deprecated since econ-env 0.2: the CLI command moved to :mod:`econ_env.calibration.commands`.

This module re-exports its names for one release and warns ``DeprecationWarning`` when
imported.
"""

import warnings

from econ_env.calibration.commands import (
    add_commands,
    build_metadata,
    report_markdown,
    run_command,
)

__all__ = [
    "add_commands",
    "build_metadata",
    "report_markdown",
    "run_command",
]

warnings.warn(
    "econ_env.llm.calibrate_commands is deprecated; use econ_env.calibration.commands",
    DeprecationWarning,
    stacklevel=2,
)

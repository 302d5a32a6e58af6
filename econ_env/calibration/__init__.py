"""Calibration of the simulated backend: record real traces, fit ``SimParams``, compare.

- :func:`record_traces` plays the registry's calibration games (auction_v0 and debate_v0: the
  envs whose registry entry names a ``calibration_policy``) with any
  :class:`~econ_env.llm.base.Backend` (a real model, usually behind the SQLite cache) through a
  recording wrapper and returns one :class:`TraceRow` per completion (role, agent, item,
  sampling parameters, correctness, token counts, confidence signals, heard answers, whether a
  revision adopted the heard plurality). Both games play the same items (drawn from the task
  with ``seed``); each episode ``e`` is reset with seed ``seed + e`` and played by each game's
  calibration policy (``truthful`` bidders, and ``round_robin`` beliefs, which alternate
  executors between T = 0.22 and T = 1.18 so that the temperature effect is identifiable).
- :func:`fit_sim_params` fits every effect of :class:`~econ_env.llm.simulated.SimParams` it can
  identify from the rows; fields it cannot identify are kept from ``base`` and listed as kept.
  :mod:`econ_env.calibration.fit` documents each estimator.
- :func:`simulate_report` replays the same episodes (same items, env seeds and policies) with
  the fitted simulated backend and returns real-vs-simulated metrics side by side.

Modules, one concern each (every import points down this list, none back):

- :mod:`~econ_env.calibration.types`: the shared result types (:class:`TraceRow`,
  :class:`SkillEstimate`, :class:`FitReport`);
- :mod:`~econ_env.calibration.record`: the games table (:data:`ENVS`,
  :data:`DEFAULT_POLICIES`, :data:`DEFAULT_ENV_KWARGS`, read from :mod:`econ_env.registry`),
  :class:`TraceRecorder`, :func:`record_traces` and :func:`record_plan`;
- :mod:`~econ_env.calibration.traces_io`: :func:`save_traces` / :func:`load_traces`;
- :mod:`~econ_env.calibration.report`: :func:`summarize`, :func:`auc`,
  :func:`simulate_report`, :func:`format_comparison`;
- :mod:`~econ_env.calibration.signals`: the length, prompt and confidence fits;
- :mod:`~econ_env.calibration.fit`: :func:`fit_sim_params`;
- :mod:`~econ_env.calibration.commands`: the ``econ-env calibrate`` command.

The names below are loaded on first use, so ``import econ_env.calibration`` (and the CLI,
which imports :mod:`~econ_env.calibration.commands`) does not import scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from econ_env.calibration.fit import fit_sim_params
    from econ_env.calibration.record import (
        DEFAULT_ENV_KWARGS,
        DEFAULT_POLICIES,
        ENVS,
        TraceRecorder,
        record_plan,
        record_traces,
    )
    from econ_env.calibration.report import auc, format_comparison, simulate_report, summarize
    from econ_env.calibration.traces_io import load_traces, save_traces
    from econ_env.calibration.types import FitReport, SkillEstimate, TraceRow

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
    "record_plan",
    "record_traces",
    "save_traces",
    "simulate_report",
    "summarize",
]

_HOME = {
    "DEFAULT_ENV_KWARGS": "record",
    "DEFAULT_POLICIES": "record",
    "ENVS": "record",
    "FitReport": "types",
    "SkillEstimate": "types",
    "TraceRecorder": "record",
    "TraceRow": "types",
    "auc": "report",
    "fit_sim_params": "fit",
    "format_comparison": "report",
    "load_traces": "traces_io",
    "record_plan": "record",
    "record_traces": "record",
    "save_traces": "traces_io",
    "simulate_report": "report",
    "summarize": "report",
}
"""The module of :mod:`econ_env.calibration` each public name lives in."""


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

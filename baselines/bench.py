"""Deprecated (econ-env 0.1): the benchmark's baseline settings live with the benchmark, in
:mod:`econ_env.bench.baselines`; this alias is removed in 0.3."""

import warnings

from econ_env.bench.baselines import BENCH_BASELINES, N_AGENTS, resolve  # noqa: F401

warnings.warn(
    "econ_env_baselines.bench is deprecated; use econ_env.bench.baselines",
    DeprecationWarning,
    stacklevel=2,
)

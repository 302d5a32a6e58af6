"""Calibration's econ-env 0.1 paths (``econ_env.llm.calibrate*``) are deprecation shims for one
release: importing one warns, naming its new home, and gives the new module's very objects.

This is the only place that may import a shim: nothing in the package or the other tests does.
"""

from __future__ import annotations

import importlib
import sys

import pytest

import econ_env.calibration

SHIMS = [
    ("econ_env.llm.calibrate", "econ_env.calibration"),
    ("econ_env.llm.calibrate_fit", "econ_env.calibration.fit"),
    ("econ_env.llm.calibrate_report", "econ_env.calibration.report"),
    ("econ_env.llm.calibrate_signals", "econ_env.calibration.signals"),
    ("econ_env.llm.calibrate_commands", "econ_env.calibration.commands"),
]

OLD_NAMES = {
    "econ_env.llm.calibrate": [
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
    ],
    "econ_env.llm.calibrate_fit": ["FitReport", "SkillEstimate", "fit_sim_params"],
    "econ_env.llm.calibrate_report": [
        "FitReport",
        "SkillEstimate",
        "auc",
        "format_comparison",
        "simulate_report",
        "summarize",
    ],
    "econ_env.llm.calibrate_signals": ["MIN_ROWS", "confidence_fit", "length_fit", "prompt_fit"],
    "econ_env.llm.calibrate_commands": [
        "add_commands",
        "build_metadata",
        "report_markdown",
        "run_command",
    ],
}
"""Each old module's ``__all__`` in econ-env 0.1: every name must still import from it."""


def _import_fresh(name: str):
    if name in sys.modules:
        return importlib.reload(sys.modules[name])
    return importlib.import_module(name)


@pytest.mark.parametrize(("old", "new"), SHIMS)
def test_a_shim_warns_naming_its_new_home(old, new):
    message = f"{old} is deprecated; use {new}"
    with pytest.warns(DeprecationWarning, match=message.replace(".", r"\.")):
        _import_fresh(old)
    with pytest.warns(DeprecationWarning, match=r"is deprecated"):
        _import_fresh(old)  # every import of the module warns, not only the first


@pytest.mark.parametrize(("old", "new"), SHIMS)
def test_a_shim_re_exports_the_new_objects(old, new):
    with pytest.warns(DeprecationWarning):
        shim = _import_fresh(old)
    target = importlib.import_module(new)
    assert set(OLD_NAMES[old]) <= set(shim.__all__)
    for name in shim.__all__:
        # a name the new module does not hold (calibrate_report's result types) is the package's
        home = target if hasattr(target, name) else econ_env.calibration
        assert getattr(shim, name) is getattr(home, name), name


def test_the_old_calibrate_names_are_the_package_names():
    with pytest.warns(DeprecationWarning):
        shim = _import_fresh("econ_env.llm.calibrate")
    assert set(shim.__all__) <= set(econ_env.calibration.__all__)
    from econ_env.calibration import fit, record, report, traces_io, types

    assert shim.fit_sim_params is fit.fit_sim_params
    assert shim.record_traces is record.record_traces and shim.ENVS is record.ENVS
    assert shim.summarize is report.summarize and shim.load_traces is traces_io.load_traces
    assert shim.TraceRow is types.TraceRow and shim.FitReport is types.FitReport


def test_the_package_never_imports_a_shim():
    """Importing every module of econ_env.calibration and econ_env.llm (the shims aside) loads
    no shim: run in a fresh interpreter, where sys.modules starts empty."""
    import subprocess

    code = (
        "import importlib, pkgutil, sys, warnings\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        "import econ_env.calibration, econ_env.llm\n"
        "skip = ('calibrate', 'hf', 'openai_backend', 'embeddings', 'soft_prompt')\n"
        "for pkg in (econ_env.calibration, econ_env.llm):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if not m.name.split('.')[-1].startswith(skip):\n"
        "            importlib.import_module(m.name)\n"
        "import econ_env.calibration as c; [getattr(c, n) for n in c.__all__]\n"
        "print(sorted(m for m in sys.modules if m.startswith('econ_env.llm.calibrate')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.strip() == "[]"

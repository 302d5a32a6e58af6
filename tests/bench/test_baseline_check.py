"""A run labelled with a bench baseline's name must be that baseline's (baseline_check)."""

from __future__ import annotations

import json
import shutil

import pytest

from econ_env.bench import submission as sub
from econ_env.bench.runner import run_suite
from econ_env.bench.verify import verify_submission
from tests.bench.conftest import TINY


def _relabel(src, dst, policy: str) -> None:
    """Copy the run at ``src`` to ``dst`` with every policy field set to ``policy``."""
    shutil.copytree(src, dst)
    meta = json.loads((dst / sub.METADATA).read_text())
    meta["policy"] = policy
    sub.write_json(dst / sub.METADATA, meta)
    traces = [json.loads(line) for line in (dst / sub.TRACES).read_text().splitlines()]
    for t in traces:
        t["policy"] = policy
    (dst / sub.TRACES).write_text("".join(sub.dump_json(t) + "\n" for t in traces))
    results = sub.compute_results(
        traces, suite=meta["suite"], suite_version=meta["suite_version"], policy=policy
    )
    sub.write_json(dst / sub.RESULTS, results)


@pytest.mark.parametrize("other", ["always", "random"])
def test_another_policy_relabelled_truthful_is_rejected(tmp_path, suites, other):
    run_suite(TINY, other, tmp_path / "run", progress=False)
    assert verify_submission(tmp_path / "run", suites=suites).ok
    _relabel(tmp_path / "run", tmp_path / "fake", "truthful")
    report = verify_submission(tmp_path / "fake", suites=suites)
    assert not report.ok
    assert any("baseline 'truthful' chooses" in e for e in report.errors), report.errors


def test_the_honest_baseline_and_an_unnamed_policy_pass(tmp_path, suites, tiny_complete):
    assert verify_submission(tiny_complete, suites=suites).ok  # truthful, labelled truthful
    # the same actions under a name that is no baseline cannot be checked this way: it passes
    # verify (and is "self-reported" on the simulated track unless the maintainer re-ran it)
    _relabel(tiny_complete, tmp_path / "mine", "my_pkg.policies:Mine")
    assert verify_submission(tmp_path / "mine", suites=suites).ok

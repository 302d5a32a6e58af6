"""benchmarks/rho_sensitivity.py: a stronger draft confidence signal makes truthful bidding pay
in the simulator, and only the draft rho changes between its rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_truthful_gains_with_the_draft_rho_and_vote_does_not_move(capsys) -> None:
    spec = importlib.util.spec_from_file_location(
        "rho_sensitivity", ROOT / "benchmarks" / "rho_sensitivity.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--rhos", "0.0,0.9", "--seeds", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    rows = [[float(x) for x in line.split()] for line in lines[1:]]
    assert [r[0] for r in rows] == [0.0, 0.9]
    assert abs(rows[0][1] - 0.5) < 1e-9 and rows[1][1] > 0.95  # the AUC of each rho
    (_, _, vote0, truthful0, always0), (_, _, vote9, truthful9, always9) = rows
    assert vote0 == vote9 and always0 == always9  # silence and everyone-speaks read no confidence
    assert truthful9 > truthful0 + 0.1 and truthful9 > vote9

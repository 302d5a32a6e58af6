"""The documentation site, built once per test session with ``mkdocs build --strict`` (what
``make docs`` runs) into a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class BuiltSite:
    """A strict build's folder and its process result (``returncode`` 0 on success)."""

    path: Path
    returncode: int
    output: str
    seconds: float

    def require(self) -> Path:
        """The site folder; fails the test when the strict build failed."""
        if self.returncode != 0:
            pytest.fail(f"mkdocs build --strict failed ({self.returncode}):\n{self.output}")
        return self.path


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    site = tmp_path_factory.mktemp("docs_site") / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict",
           "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return BuiltSite(site, proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - start)

"""The dependency floors are true: every direct dependency in pyproject.toml declares a `>=`
floor, constraints-floors.txt pins each one exactly at that floor, and CI's floors job
(`make test-floors`, scripts/ci_floors.sh) installs those pins and runs the env tests on them.
Run by that job with ECON_ENV_FLOORS=1, this file also checks the installed versions."""

import os
from importlib import metadata
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
FLOORS_FILE = ROOT / "constraints-floors.txt"


def _dependencies() -> list[Requirement]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [Requirement(dep) for dep in config["project"]["dependencies"]]


def _floor(req: Requirement) -> Version:
    floors = [Version(s.version) for s in req.specifier if s.operator == ">="]
    assert len(floors) == 1, f"{req} must declare exactly one `>=` floor"
    return floors[0]


def _pins() -> dict[str, str]:
    """constraints-floors.txt as {canonical name: pinned version}; every line is `name==version`."""
    pins: dict[str, str] = {}
    for line in FLOORS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{line!r} is not an exact pin"
        assert not req.marker, f"{line!r}: the floors job pins unconditionally"
        name = canonicalize_name(req.name)
        assert name not in pins, f"{req.name} is pinned twice in {FLOORS_FILE.name}"
        pins[name] = specs[0].version
    return pins


def test_every_direct_dependency_declares_one_floor():
    deps = _dependencies()
    assert deps
    for req in deps:
        _floor(req)


def test_the_floors_file_pins_every_direct_dependency_at_its_declared_floor():
    pins = _pins()
    mismatched = {}
    for req in _dependencies():
        name = canonicalize_name(req.name)
        pinned = pins.get(name)
        if pinned is None or Version(pinned) != _floor(req):
            mismatched[req.name] = (f">={_floor(req)} in pyproject.toml", pinned)
    assert not mismatched, f"{FLOORS_FILE.name} disagrees with pyproject.toml: {mismatched}"


def test_every_pin_satisfies_pyprojects_range():
    pins = _pins()
    for req in _dependencies():
        assert req.specifier.contains(pins[canonicalize_name(req.name)], prereleases=True), req


def test_ci_runs_the_floors_job_on_the_floors_file():
    assert "make test-floors" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/ci_floors.sh" in (ROOT / "Makefile").read_text(encoding="utf-8")
    script = (ROOT / "scripts" / "ci_floors.sh").read_text(encoding="utf-8")
    assert "-c constraints-floors.txt" in script
    assert "tests/test_packaging_floors.py" in script


@pytest.mark.skipif(
    os.environ.get("ECON_ENV_FLOORS") != "1", reason="only in the floors job's .venv-floors"
)
def test_the_floors_job_runs_on_exactly_the_pinned_versions():
    """Every pin of constraints-floors.txt is what is installed (torch's +cpu local tag aside)."""
    wrong = {}
    for name, pinned in _pins().items():
        installed = metadata.version(name)
        if not SpecifierSet(f"=={pinned}").contains(installed, prereleases=True):
            wrong[name] = (pinned, installed)
    assert not wrong, f"installed versions differ from {FLOORS_FILE.name}: {wrong}"

"""Packaging: the explicit package list covers the tree, and the repository's agents/ and
baselines/ folders install under econ_env_* names, never the bare `agents` / `baselines`."""

import importlib.util
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_package_list_names_every_package_of_the_tree():
    setuptools = _config()["tool"]["setuptools"]
    mapping = {"econ_env": "econ_env", **setuptools["package-dir"]}
    mapping.pop("")
    found = set()
    for name, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *rel.parts]))
    assert sorted(found) == sorted(setuptools["packages"])


def test_agents_and_baselines_install_under_their_own_names():
    for name, folder in (("econ_env_agents", "agents"), ("econ_env_baselines", "baselines")):
        spec = importlib.util.find_spec(name)
        assert spec is not None and Path(spec.origin).parent == ROOT / folder
    packages = _config()["tool"]["setuptools"]["packages"]
    assert not any(p.split(".")[0] in ("agents", "baselines") for p in packages)


def test_policy_entry_points_point_at_the_baselines_package():
    eps = _config()["project"]["entry-points"]["econ_env.policies"]
    assert eps and all(v.startswith("econ_env_baselines.") for v in eps.values())
    envs = ("auction_v0", "auction_v1", "debate_v0", "debate_v1")
    assert all(k.split(".")[0] in envs for k in eps)


def test_the_wheel_holds_the_data_files_and_no_bare_agents_or_baselines(tmp_path):
    """A real (non-editable) wheel: package data included, entry points written, and only
    econ_env* top-level names."""
    import subprocess
    import sys
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", str(ROOT), "--no-deps",
         "--no-build-isolation", "-w", str(tmp_path)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("econ_env-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"econ_env", "econ_env_agents", "econ_env_baselines"}
    for data in (
        "econ_env/bench/schemas/trace.schema.json",
        "econ_env/bench/templates/leaderboard.html",
        "econ_env/llm/presets/qwen2.5-coder-0.5b.json",
        "econ_env/tasks/data/gsm8k_test_sample.jsonl",
        "econ_env/testing/golden/auction_default.json",
    ):
        assert data in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[econ_env.policies]" in text and "auction_v0.truthful" in text

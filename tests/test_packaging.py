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
    assert all(k.split(".")[0] in ("auction_v0", "debate_v0") for k in eps)

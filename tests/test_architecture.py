"""The shape of the codebase, checked: layers point one way (import-linter's contracts in
pyproject.toml), econ_env never imports the reference agents or baselines, and there is no
import cycle between any two modules of econ_env."""

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--no-logo", "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("core/ledger.py", "import econ_env.cli", "layers point one way"),
        ("envs/auction/game.py", "import econ_env.bench.runner", "layers point one way"),
        ("bench/runner.py", "import econ_env_baselines.auction", "never imports the reference"),
    ],
)
def test_an_upward_or_forbidden_import_breaks_a_contract(tmp_path, module, line, contract):
    """The contracts are not vacuous: the same tree with one bad import fails, naming it."""
    shutil.copytree(ROOT / "econ_env", tmp_path / "econ_env")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "econ_env" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    import os

    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = _lint(tmp_path, env)
    assert result.returncode != 0
    assert contract in result.stdout and "BROKEN" in result.stdout
    assert line.split()[-1] in result.stdout.replace("\n", " ") or "->" in result.stdout


def _strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Tarjan's strongly connected components of the module graph (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    component.add(m)
                    if m == node:
                        break
                out.append(component)
    return out


def test_no_import_cycles_between_modules():
    graph = grimp.build_graph("econ_env")
    cycles = [sorted(c) for c in _strongly_connected(graph) if len(c) > 1]
    assert cycles == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for m in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(m)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.c", imported="p.a")
    assert [c for c in _strongly_connected(graph) if len(c) > 1] == [{"p.a", "p.b"}]


def test_no_module_imports_the_root_package():
    """``import econ_env`` inside the package would tie every module to everything."""
    graph = grimp.build_graph("econ_env")
    importers = sorted(graph.find_modules_that_directly_import("econ_env"))
    assert importers == []

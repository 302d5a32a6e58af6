"""The leaderboard page (both tracks) in a real headless Chromium (Debian's chromium, driven by
Playwright).

Needs ``apt-get install -y chromium`` and ``pip install playwright`` (the ``browser`` extra);
never ``playwright install``. Fails (does not skip) when either is missing. Set
``ECON_ENV_CHROMIUM`` to use a chromium binary at another path.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from econ_env.bench.attest import attest
from econ_env.bench.leaderboard import build_leaderboard
from econ_env.bench.runner import run_suite
from econ_env.bench.verify import verify_submission

CHROMIUM = Path(os.environ.get("ECON_ENV_CHROMIUM", "/usr/bin/chromium"))  # Debian's binary
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KEY = b"browser-test-maintainer-key-0001"
SIMULATED = {"rerun": "complete re-run", "single_cot": "complete self-reported",
             "truthful": "complete self-reported", "partial": "partial self-reported",
             "tampered": "unverified"}  # fmt: skip
REAL = {"real": "complete verified-log spot-checked"}
UNPLACED = {"broken": "invalid"}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _edit_metadata(path: Path, **changes: object) -> None:
    meta = json.loads((path / "metadata.json").read_text())
    meta.update(changes)
    (path / "metadata.json").write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, tiny_partial: Path, suites: dict) -> Path:
    """Complete runs of the two-episode suite tiny/v0 (conftest.py): two trace-only ones
    (self-reported), one signed as a maintainer's re-run, one relabelled as a real-model run
    (verified by a stub that says its log replayed); a partial, a tampered and a broken one."""
    root = tmp_path_factory.mktemp("subs")
    for policy in ("single_cot", "truthful"):
        run_suite(suites["tiny/v0"], policy, root / policy, progress=False)
    shutil.copytree(tiny_partial, root / "partial")
    shutil.copytree(root / "truthful", root / "tampered")
    res = json.loads((root / "tampered" / "results.json").read_text())
    res["accuracy"] = 0.0 if res["accuracy"] > 0.1 else 0.9
    (root / "tampered" / "results.json").write_text(json.dumps(res))
    (root / "broken").mkdir()
    (root / "broken" / "results.json").write_text("not json")
    shutil.copytree(root / "truthful", root / "rerun")
    seeds = {c.name: list(c.seeds) for c in suites["tiny/v0"].cases}
    evaluation = {
        "by": "econ-env bench evaluate",
        "seed_commitment": "0" * 64,
        "seeds": seeds,
        "isolation": "none",
        "limits": {},
        "agent": {"spec": "m:C", "digest": ""},
    }
    _edit_metadata(root / "rerun", evaluation=evaluation)  # the block bench evaluate writes
    attest(root / "rerun", KEY, "browser-key")
    shutil.copytree(root / "single_cot", root / "real")
    backend = {"name": "hf:org/Model-135M", "model_id": "org/Model-135M", "revision": "r1",
               "weights_digest": "sha256:" + "ab" * 32}  # fmt: skip
    _edit_metadata(root / "real", backend=backend, track="real-model")

    def check(p: Path):
        if p.name == "real":
            return SimpleNamespace(ok=True, errors=[], complete=True, scope=lambda: "",
                                   log_replayed=True, spot_checked=2)  # fmt: skip
        return verify_submission(p, suites=suites)

    out = tmp_path_factory.mktemp("site")
    return build_leaderboard(root, out, verifier=check, attest_key=KEY, key_id="browser-key").parent


@pytest.fixture(scope="module")
def url(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) "
            "for the leaderboard browser test"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install 'econ-env[browser]'")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, url: str):
    """A fresh tab on the leaderboard; fails the test on any JavaScript error."""
    pg = browser.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(url, wait_until="load")
    yield pg
    pg.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def _column(pg, col: int, table: str = "#board-simulated") -> list[str]:
    return pg.eval_on_selector_all(
        f"{table} tbody tr",
        f"rows => rows.map(r => r.cells[{col}].getAttribute('data-sort'))",
    )


def _names(pg, table: str = "#board-simulated") -> list[str]:
    return pg.eval_on_selector_all(f"{table} tbody tr", "rs => rs.map(r => r.dataset.name)")


def _accuracies(pg) -> list[str]:
    return _column(pg, 5)


def _badges(pg, table: str) -> dict[str, str]:
    js = (
        "rows => rows.map(r => [r.dataset.name, Array.from(r.querySelectorAll('.badge'))"
        ".filter(b => b.offsetWidth > 0).map(b => b.textContent).join(' ')])"
    )
    return dict(pg.eval_on_selector_all(f"{table} tbody tr", js))


def test_each_track_has_its_rows_with_visible_badges(page) -> None:
    assert _badges(page, "#board-simulated") == SIMULATED
    assert _badges(page, "#board-real-model") == REAL
    assert _badges(page, "#board-unplaced") == UNPLACED
    sim = "#board-simulated tr[data-name='{}'] "
    title = page.get_attribute(sim.format("tampered") + ".badge", "title")
    assert title and "accuracy" in title
    assert "JSON" in page.get_attribute("#board-unplaced tr[data-name='broken'] .badge", "title")
    title = page.get_attribute(sim.format("truthful") + ".badge.self-reported", "title")
    assert title and "no evaluation block" in title
    title = page.get_attribute(sim.format("rerun") + ".badge.re-run", "title")
    assert title and "key browser-key" in title
    assert page.locator(sim.format("single_cot") + "td .policy").inner_text() == "single_cot"
    scope = page.locator(sim.format("partial") + "td").nth(4).inner_text()
    assert scope.splitlines() == ["tiny/v0 v0.1.0 limit=1, budgets=[1000000]", "1 episode"]
    title = page.get_attribute(sim.format("partial") + ".badge.partial", "title")
    assert title and "not ranked" in title
    model = page.locator("#board-real-model tr[data-name='real'] td").nth(2).inner_text()
    assert model.startswith("org/Model-135M @ r1") and "weights abababababab" in model
    decoding = page.locator(sim.format("truthful") + "td.decoding").inner_text()
    assert decoding.startswith("auction_v0: draft≤")


def test_rows_start_in_rank_order(page) -> None:
    header = page.locator("#board-simulated th.col-rank")
    assert header.get_attribute("aria-sort") == "ascending"
    assert _column(page, 0) == ["1", "", "", "", ""]  # only the signed re-run is ranked
    assert _names(page)[0] == "rerun" and _names(page)[3:] == ["partial", "tampered"]
    assert _column(page, 0, "#board-real-model") == ["1"]


def test_clicking_accuracy_header_reorders(page) -> None:
    before = _accuracies(page)
    order = _names(page)
    header = page.locator("#board-simulated th.col-accuracy")
    values = [float(v) for v in before if v]
    header.click()
    after = _accuracies(page)
    assert header.get_attribute("aria-sort") == "descending"
    assert page.locator("#board-simulated th.col-rank").get_attribute("aria-sort") is None
    assert [float(v) for v in after] == sorted(values, reverse=True)
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert [float(v) for v in _accuracies(page)] == sorted(values)
    rank = page.locator("#board-simulated th.col-rank")
    rank.click()
    rank.click()  # descending, then ascending: back to rank order
    assert rank.get_attribute("aria-sort") == "ascending"
    assert _names(page) == order
    assert _names(page, "#board-real-model") == ["real"]  # the other track is untouched


def test_clicking_a_text_header_sorts_by_name(page) -> None:
    page.locator("#board-simulated thead th").nth(1).click()
    assert _names(page) == sorted(SIMULATED)


def test_plots_and_per_case_tables_render(page) -> None:
    for track in ("simulated", "real-model"):
        img = page.locator(f"#pareto-{track}")
        img.scroll_into_view_if_needed()
        page.wait_for_function(f"document.getElementById('pareto-{track}').complete")
        assert page.evaluate(f"document.getElementById('pareto-{track}').naturalWidth") > 0
        assert page.evaluate(f"document.getElementById('pareto-{track}').naturalHeight") > 0
    assert page.locator("#cases-simulated tbody tr").count() == 5 * 1  # 5 with numbers x 1 case
    assert page.locator("#cases-real-model tbody tr").count() == 1

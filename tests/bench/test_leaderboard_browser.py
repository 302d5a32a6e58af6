"""The leaderboard page in a real headless Chromium (Debian's chromium, driven by Playwright).

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

import pytest

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
EXPECTED = {"single_cot": "verified", "truthful": "verified", "partial": "partial",
            "tampered": "unverified", "broken": "invalid"}  # fmt: skip


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, tiny_partial: Path, suites: dict) -> Path:
    """Complete runs of the two-episode suite tiny/v0 (conftest.py), a partial, a tampered and a
    broken one."""
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
    check = lambda p: verify_submission(p, suites=suites)  # noqa: E731
    return build_leaderboard(root, tmp_path_factory.mktemp("site"), verifier=check).parent


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


def _column(pg, col: int) -> list[str]:
    return pg.eval_on_selector_all(
        "#leaderboard tbody tr",
        f"rows => rows.map(r => r.cells[{col}].getAttribute('data-sort'))",
    )


def _accuracies(pg) -> list[str]:
    return _column(pg, 5)


def test_one_row_per_submission_with_badges(page) -> None:
    rows = page.locator("#leaderboard tbody tr")
    assert rows.count() == len(EXPECTED)
    badges = dict(
        page.eval_on_selector_all(
            "#leaderboard tbody tr",
            "rows => rows.map(r => [r.dataset.name, r.querySelector('.badge').textContent])",
        )
    )
    assert badges == EXPECTED
    title = page.get_attribute("#leaderboard tr[data-name='tampered'] .badge", "title")
    assert title and "accuracy" in title
    assert "JSON" in page.get_attribute("#leaderboard tr[data-name='broken'] .badge", "title")
    assert page.locator("#leaderboard tr[data-name='truthful'] td").nth(2).inner_text() == (
        "truthful"
    )
    scope = page.locator("#leaderboard tr[data-name='partial'] td").nth(3).inner_text()
    assert scope.endswith("limit=1, budgets=[1000000]")
    title = page.get_attribute("#leaderboard tr[data-name='partial'] .badge", "title")
    assert title and "not ranked" in title


def test_rows_start_in_rank_order(page) -> None:
    assert page.locator("#col-rank").get_attribute("aria-sort") == "ascending"
    assert _column(page, 0) == ["1", "2", "", "", ""]  # only the complete, verified runs
    names = page.eval_on_selector_all("#leaderboard tbody tr", "rs => rs.map(r => r.dataset.name)")
    assert [EXPECTED[n] for n in names] == [
        "verified", "verified", "partial", "unverified", "invalid"
    ]  # fmt: skip


def test_clicking_accuracy_header_reorders(page) -> None:
    before = _accuracies(page)
    names = "rs => rs.map(r => r.dataset.name)"
    order = page.eval_on_selector_all("#leaderboard tbody tr", names)
    header = page.locator("#col-accuracy")
    values = [float(v) for v in before if v]
    header.click()
    after = _accuracies(page)
    assert header.get_attribute("aria-sort") == "descending"
    assert page.locator("#col-rank").get_attribute("aria-sort") is None
    assert [float(v) for v in after if v] == sorted(values, reverse=True) and after[-1] == ""
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert [float(v) for v in _accuracies(page) if v] == sorted(values) and after[-1] == ""
    rank = page.locator("#col-rank")
    rank.click()
    rank.click()  # descending, then ascending: back to rank order
    assert rank.get_attribute("aria-sort") == "ascending"
    assert page.eval_on_selector_all("#leaderboard tbody tr", names) == order


def test_clicking_a_text_header_sorts_by_name(page) -> None:
    page.locator("#leaderboard thead th").nth(1).click()
    names = page.eval_on_selector_all("#leaderboard tbody tr", "rs => rs.map(r => r.dataset.name)")
    assert names == sorted(EXPECTED)


def test_plot_and_per_case_table_render(page) -> None:
    img = page.locator("#pareto")
    img.scroll_into_view_if_needed()
    page.wait_for_function("document.getElementById('pareto').complete")
    assert page.evaluate("document.getElementById('pareto').naturalWidth") > 0
    assert page.evaluate("document.getElementById('pareto').naturalHeight") > 0
    assert page.locator("#per-case tbody tr").count() == 4 * 1  # 4 with numbers x 1 case

"""The built documentation site in a real headless Chromium (Debian's chromium driven by
Playwright, as the leaderboard's browser test does): the home page and an environment page
render their headings, without JavaScript or console errors and without any request leaving
the local server.

Needs ``apt-get install -y chromium`` and ``pip install playwright`` (the ``browser`` extra);
never ``playwright install``. Fails (does not skip) when either is missing. Set
``ECON_ENV_CHROMIUM`` to use a chromium binary at another path.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

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


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(built_site) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(built_site.require()))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) "
            "for the docs site's browser test"
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
def open_page(browser, base_url: str):
    """Opens a page of the site in a fresh tab; the test fails on any JavaScript error, console
    error or request to another host (those are refused, so the site must work offline)."""
    host = urlsplit(base_url).netloc
    pages = []
    errors: list[str] = []
    foreign: list[str] = []

    def route(r) -> None:
        if urlsplit(r.request.url).netloc == host or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            foreign.append(r.request.url)
            r.abort()

    def on_console(msg) -> None:
        if msg.type == "error":
            errors.append(f"console: {msg.text}")

    def opener(rel: str):
        pg = browser.new_page()
        pages.append(pg)
        pg.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        pg.on("console", on_console)
        pg.route("**/*", route)
        response = pg.goto(base_url + rel, wait_until="load")
        assert response is not None and response.ok, f"{rel}: HTTP {response and response.status}"
        pg.wait_for_load_state("networkidle")
        return pg

    yield opener
    for pg in pages:
        pg.close()
    assert errors == [], f"errors in the browser: {errors}"
    assert foreign == [], f"requests to other hosts: {foreign}"


def _heading(pg) -> str:
    """The page's main heading without its permalink mark."""
    return pg.locator("article h1").first.inner_text().replace("\u00b6", "").strip()


def test_home_page_renders(open_page) -> None:
    pg = open_page("")
    assert "econ-env" in pg.title()
    assert _heading(pg) == "econ-env"
    # the navigation lists the environments and the API reference
    nav = pg.locator("nav.md-nav--primary").inner_text()
    assert "auction_v0" in nav and "API reference" in nav


def test_environment_page_renders(open_page) -> None:
    pg = open_page("environments/auction_v0/")
    assert pg.title().startswith("auction_v0")
    assert _heading(pg).startswith("auction_v0")
    assert pg.locator("article h3", has_text="Observation").count() >= 1
    assert pg.locator("article table").count() >= 1 or pg.locator("article pre").count() >= 1


def test_api_page_renders(open_page) -> None:
    pg = open_page("api/envs/")
    assert _heading(pg) == "Environments"
    assert pg.locator("article .doc-heading").count() > 5


def test_search_finds_an_environment(open_page) -> None:
    """Material's client-side search (a web worker on search_index.json) works offline."""
    pg = open_page("")
    search = pg.locator("input.md-search__input")
    search.click()
    search.press_sequentially("auction", delay=20)  # the search reacts to key presses
    results = pg.locator(".md-search-result__item")
    results.first.wait_for(timeout=15_000)
    assert results.count() > 0
    assert "auction_v" in results.first.inner_text()  # auction_v0's or auction_v1's page
    assert any("auction_v0" in t for t in results.all_inner_texts())

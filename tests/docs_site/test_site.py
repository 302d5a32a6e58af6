"""``mkdocs build --strict`` succeeds (a broken link, a page missing from the nav or a docstring
the API reference cannot render fails it) and the site holds the pages the nav promises,
works offline (no external fonts, scripts or styles) and documents the public API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from econ_env.registry import ENVS

ROOT = Path(__file__).resolve().parents[2]
API_PAGES = (
    "envs",
    "policies-and-specs",
    "llm",
    "tasks",
    "integrations",
    "vector",
    "bench",
    "testing",
)


def _page(site: Path, rel: str) -> str:
    """The HTML of the page built from docs/<rel>.md (``index`` is the home page)."""
    if rel == "index" or rel.endswith("/index"):
        path = site / rel.removesuffix("index") / "index.html"
    else:
        path = site / rel / "index.html"
    assert path.is_file(), f"{path} was not built"
    return path.read_text(encoding="utf-8")


def _nav_files(nav: list) -> list[str]:
    out: list[str] = []
    for entry in nav:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            out.extend(_nav_files(value) if isinstance(value, list) else [value])
    return out


def _nav() -> list[str]:
    # mkdocs.yml has no custom YAML tags, so the safe loader reads it
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    return _nav_files(config["nav"])


def test_strict_build_succeeds(built_site) -> None:
    built_site.require()


def test_home_environment_and_api_pages_exist(built_site) -> None:
    site = built_site.require()
    assert "econ-env" in _page(site, "index")
    for name in ENVS:
        assert f"<title>{name}" in _page(site, f"environments/{name}")
    for page in API_PAGES:
        assert "doc-heading" in _page(site, f"api/{page}"), f"api/{page} rendered no objects"
    assert "0.2.0" in _page(site, "changelog")


def test_every_nav_entry_is_built(built_site) -> None:
    site = built_site.require()
    for rel in _nav():
        _page(site, rel.removesuffix(".md"))


def test_every_environment_page_is_in_the_nav() -> None:
    nav = set(_nav())
    assert {f"environments/{name}.md" for name in ENVS} <= nav
    assert {f"api/{page}.md" for page in API_PAGES} <= nav


@pytest.mark.parametrize(
    "module",
    [
        "econ_env.registry",
        "econ_env.policies",
        "econ_env.core.spec",
        "econ_env.llm.base",
        "econ_env.tasks.registry",
        "econ_env.single_agent",
        "econ_env.bench.verify",
        "econ_env.testing.checks",
        "econ_env.vector.auction_env",
        "econ_env.vector.debate_env",
        "econ_env.integrations.torchrl",
    ],
)
def test_api_reference_documents_module(built_site, module: str) -> None:
    site = built_site.require()
    html = "".join(p.read_text(encoding="utf-8") for p in (site / "api").rglob("index.html"))
    assert f'id="{module}"' in html, f"{module} is not in the API reference"


def test_site_loads_nothing_from_other_hosts(built_site) -> None:
    """No Google Fonts, CDN scripts or styles, analytics: every page works offline."""
    site = built_site.require()
    external = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//")
    for html_file in site.rglob("*.html"):
        text = html_file.read_text(encoding="utf-8")
        found = external.findall(text)
        assert not found, f"{html_file.relative_to(site)} loads external resources: {found[:3]}"
        assert "fonts.googleapis" not in text and "googletagmanager" not in text

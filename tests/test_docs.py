"""The environment pages in docs/ are generated from the module docstrings and up to date."""

from pathlib import Path

import pytest

from econ_env.docs import ENV_PAGES, render_env_page

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", sorted(ENV_PAGES))
def test_env_page_matches_docstring(name):
    page = ROOT / "docs" / "environments" / f"{name}.md"
    assert page.exists(), f"{page} is missing; run `make docs`"
    assert page.read_text(encoding="utf-8") == render_env_page(name), (
        f"{page} is out of date with its module docstring; run `make docs`"
    )


@pytest.mark.parametrize("name", sorted(ENV_PAGES))
def test_env_page_has_pettingzoo_sections(name):
    text = render_env_page(name)
    for section in (
        "### Arguments",
        "### Observation",
        "### Action",
        "### Rewards",
        "### Version History",
    ):
        assert section in text

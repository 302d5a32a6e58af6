"""Write docs/environments/<env>.md from each environment module's docstring.

The docstring is the single source of an environment's documentation (PettingZoo style);
``tests/test_docs.py`` fails when a page is out of date. Run ``make docs`` after editing one.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from econ_env.docs import ENV_PAGES, render_env_page  # noqa: E402


def main() -> None:
    for name in ENV_PAGES:
        path = ROOT / "docs" / "environments" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_env_page(name), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

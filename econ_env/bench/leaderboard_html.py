"""The leaderboard page: table rows and the filled template (``templates/leaderboard.html``).

Every string from a submission goes through :func:`econ_env.bench.safe_text.display_safe`
(control and bidirectional-control characters escaped, lone surrogates replaced) and then
``html.escape``. The main table is ordered by rank: ranked (``verified``) entries first by
accuracy, then ``partial``, ``unverified`` and ``invalid`` ones, which have no rank.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib import resources
from string import Template
from typing import Any

from econ_env.bench.safe_text import display_safe

__all__ = ["esc", "render_case_rows", "render_page", "render_rows"]


def esc(s: object) -> str:
    """``s`` as display-safe, HTML-escaped text (for element content and quoted attributes)."""
    return html.escape(display_safe(str(s)), quote=True)


def _cell(display: str, sort: object, num: bool = True) -> str:
    cls = ' class="num"' if num else ""
    return f'<td{cls} data-sort="{esc(sort)}">{display}</td>'


def _num_cell(v: float | None, ci: tuple[float, float] | None, digits: int) -> str:
    if v is None:
        return _cell("–", "")
    text = f"{v:.{digits}f}"
    if ci is not None:
        text += f' <span class="ci">[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]</span>'
    return _cell(text, repr(v))


def _badge(e: Any) -> str:
    title = e.reason or e.status
    return (
        f'<td data-sort="{esc(e.status)}"><span class="badge {esc(e.status)}" '
        f'title="{esc(title)}">{esc(e.status)}</span></td>'
    )


def _suite_label(e: Any) -> str:
    return f"{e.suite} v{e.suite_version}" if e.suite else ""


def _suite_cell(e: Any) -> str:
    label = _suite_label(e)
    scope = f' <span class="scope">{esc(e.scope)}</span>' if e.scope else ""
    return _cell(esc(label) + scope, label, num=False)


def render_rows(entries: Sequence[Any]) -> str:
    """The main table's ``<tr>`` rows (escaped)."""
    rows = []
    for i, e in enumerate(entries):
        cells = [
            _cell(str(e.rank) if e.rank is not None else "–", e.rank or ""),
            _cell(esc(e.name), e.name, num=False),
            _cell(esc(e.policy), e.policy, num=False),
            _suite_cell(e),
            _cell(esc(e.episodes) if e.episodes is not None else "–", e.episodes or ""),
            _num_cell(e.accuracy, e.accuracy_ci, 3),
            _num_cell(e.billed_tokens, e.billed_ci, 1),
            _num_cell(e.generated_tokens, e.generated_ci, 1),
            _num_cell(e.accuracy_per_1k_generated, None, 4),
            _badge(e),
        ]
        rows.append(
            f'<tr data-index="{i}" data-name="{esc(e.name)}" class="{esc(e.status)}">'
            + "".join(cells)
            + "</tr>"
        )
    return "\n".join(rows)


def render_case_rows(entries: Sequence[Any]) -> str:
    """The per-task table's ``<tr>`` rows, grouped by case (escaped)."""
    pairs = [(c, e) for e in entries for c in e.per_case]
    pairs.sort(key=lambda p: (p[0].case, -p[0].accuracy, p[1].name))
    rows = []
    for i, (c, e) in enumerate(pairs):
        cells = [
            _cell(esc(c.case), c.case, num=False),
            _cell(esc(e.name), e.name, num=False),
            _cell(esc(e.policy), e.policy, num=False),
            _cell(str(c.episodes), c.episodes),
            _num_cell(c.accuracy, None, 3),
            _num_cell(c.billed_tokens, None, 1),
            _num_cell(c.generated_tokens, None, 1),
            _badge(e),
        ]
        rows.append(f'<tr data-index="{i}" class="{esc(e.status)}">' + "".join(cells) + "</tr>")
    return "\n".join(rows)


def render_page(entries: Sequence[Any], *, title: str, plot: str) -> str:
    """The whole ``index.html`` for ``entries`` (already in display order)."""
    from econ_env.version import __version__

    template = Template(
        resources.files("econ_env.bench").joinpath("templates/leaderboard.html").read_text("utf-8")
    )
    return template.substitute(
        title=esc(title),
        count=len(entries),
        ranked=sum(e.rank is not None for e in entries),
        partial=sum(e.status == "partial" for e in entries),
        rows=render_rows(entries),
        case_rows=render_case_rows(entries),
        plot=esc(plot),
        version=esc(__version__),
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )

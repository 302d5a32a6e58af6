"""The leaderboard page: one section per track (table, Pareto plot, per-case table), the
unplaced submissions, and the filled template (``templates/leaderboard.html``).

Every string from a submission goes through :func:`econ_env.bench.safe_text.display_safe`
(control and bidirectional-control characters escaped, lone surrogates replaced) and then
``html.escape``. Each track's table is ordered by rank: ranked entries first by accuracy, then
the unranked ``complete``, ``partial``, ``unverified`` and ``invalid`` ones, which have no rank.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import resources
from string import Template
from typing import Any

from econ_env.bench.safe_text import display_safe

__all__ = [
    "TRACK_TITLES",
    "esc",
    "render_case_rows",
    "render_page",
    "render_rows",
    "render_track",
]

TRACK_TITLES = {
    "simulated": (
        "Simulated track: agent submissions",
        "Policies run on the simulated backend. Ranked only when <em>re-run</em>: evaluated by "
        "the maintainer with <code>econ-env bench evaluate</code> in a separate process on "
        "seeds drawn at evaluation time, with an attestation valid under the maintainer's key. "
        "Trace-only entries are listed as <em>self-reported</em>, never ranked.",
    ),
    "real-model": (
        "Real-model track: trace submissions",
        "Runs on a real language model (any non-simulated backend) with their generation log. "
        "Ranked only when <em>verified-log</em>: the verifier replayed every episode from the "
        "log and re-scored it. <em>spot-checked</em>: sampled requests were regenerated with "
        "the model and matched.",
    ),
}

# (header, data-type, numeric, id suffix) of a track table's columns
_COLUMNS = (
    ("rank", "num", True, "rank"),
    ("submission / policy", "str", False, ""),
    ("model", "str", False, ""),
    ("decoding", "str", False, ""),
    ("suite / episodes", "str", False, ""),
    ("accuracy", "num", True, "accuracy"),
    ("billed tokens", "num", True, ""),
    ("generated tokens", "num", True, ""),
    ("accuracy / 1k generated", "num", True, ""),
    ("badges", "str", False, ""),
)
_CASE_COLUMNS = (
    ("case", "str", False, ""),
    ("submission", "str", False, ""),
    ("policy", "str", False, ""),
    ("model", "str", False, ""),
    ("episodes", "num", True, ""),
    ("accuracy", "num", True, ""),
    ("billed tokens", "num", True, ""),
    ("generated tokens", "num", True, ""),
    ("badges", "str", False, ""),
)


def esc(s: object) -> str:
    """``s`` as display-safe, HTML-escaped text (for element content and quoted attributes)."""
    return html.escape(display_safe(str(s)), quote=True)


def _cell(display: str, sort: object, num: bool = True, cls: str = "") -> str:
    classes = " ".join(c for c in ("num" if num else "", cls) if c)
    attr = f' class="{classes}"' if classes else ""
    return f'<td{attr} data-sort="{esc(sort)}">{display}</td>'


def _num_cell(v: float | None, ci: tuple[float, float] | None, digits: int) -> str:
    if v is None:
        return _cell("–", "")
    text = f"{v:.{digits}f}"
    if ci is not None:
        text += f' <span class="ci">[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]</span>'
    return _cell(text, repr(v))


def _badges(e: Any) -> str:
    names = tuple(e.badges) or (e.status,)
    notes: Mapping[str, str] = e.badge_notes or {}
    spans = [
        f'<span class="badge {esc(b)}" title="{esc(notes.get(b) or e.reason or b)}">{esc(b)}</span>'
        for b in names
    ]
    return f'<td class="badges" data-sort="{esc(" ".join(names))}">{" ".join(spans)}</td>'


def _suite_cell(e: Any) -> str:
    label = f"{e.suite} v{e.suite_version}" if e.suite else ""
    scope = f' <span class="scope">{esc(e.scope)}</span>' if e.scope else ""
    plural = "" if e.episodes == 1 else "s"
    episodes = f'<br><span class="sub">{e.episodes} episode{plural}</span>' if e.episodes else ""
    return _cell(esc(label) + scope + episodes, label, num=False)


def _name_cell(e: Any) -> str:
    policy = f'<br><span class="sub policy">{esc(e.policy)}</span>' if e.policy else ""
    return _cell(f'<span class="name">{esc(e.name)}</span>{policy}', e.name, num=False)


def _model_cell(e: Any) -> str:
    if e.track == "real-model":
        main = f'<span class="model-id">{esc(e.model_id)}</span>'
        if e.revision:
            main += f' @ <span class="revision">{esc(e.revision)}</span>'
        sub = esc(e.backend)
        if e.weights_digest:
            sub += f' · weights <code class="digest">{esc(e.weights_digest)}</code>'
    else:
        main, sub = esc(e.backend or e.model_id), esc(e.simulator)
    text = main + (f'<br><span class="sub">{sub}</span>' if sub else "")
    return _cell(text, e.model_id or e.backend, num=False, cls="model")


def _row_attrs(i: int, e: Any) -> str:
    ranked = " ranked" if e.ranked else ""
    return f'data-index="{i}" data-name="{esc(e.name)}" class="{esc(e.status)}{ranked}"'


def render_rows(entries: Sequence[Any]) -> str:
    """A track table's ``<tr>`` rows (escaped)."""
    rows = []
    for i, e in enumerate(entries):
        cells = [
            _cell(str(e.rank) if e.rank is not None else "–", e.rank or ""),
            _name_cell(e),
            _model_cell(e),
            _cell(esc(e.decoding), e.decoding, num=False, cls="decoding"),
            _suite_cell(e),
            _num_cell(e.accuracy, e.accuracy_ci, 3),
            _num_cell(e.billed_tokens, e.billed_ci, 1),
            _num_cell(e.generated_tokens, e.generated_ci, 1),
            _num_cell(e.accuracy_per_1k_generated, None, 4),
            _badges(e),
        ]
        rows.append(f"<tr {_row_attrs(i, e)}>" + "".join(cells) + "</tr>")
    return "\n".join(rows)


def render_case_rows(entries: Sequence[Any]) -> str:
    """A per-task table's ``<tr>`` rows, grouped by case (escaped)."""
    pairs = [(c, e) for e in entries for c in e.per_case]
    pairs.sort(key=lambda p: (p[0].case, -p[0].accuracy, p[1].name))
    rows = []
    for i, (c, e) in enumerate(pairs):
        cells = [
            _cell(esc(c.case), c.case, num=False),
            _cell(esc(e.name), e.name, num=False),
            _cell(esc(e.policy), e.policy, num=False),
            _model_cell(e),
            _cell(str(c.episodes), c.episodes),
            _num_cell(c.accuracy, None, 3),
            _num_cell(c.billed_tokens, None, 1),
            _num_cell(c.generated_tokens, None, 1),
            _badges(e),
        ]
        rows.append(f"<tr {_row_attrs(i, e)}>" + "".join(cells) + "</tr>")
    return "\n".join(rows)


def _table(table_id: str, columns: tuple, rows: str, empty: str) -> str:
    heads = []
    for label, kind, num, key in columns:
        cls = ["num"] if num else []
        if key:
            cls.append(f"col-{key}")
        attrs = f' class="{" ".join(cls)}"' if cls else ""
        sort = ' aria-sort="ascending"' if key == "rank" else ""
        heads.append(f'<th data-type="{kind}"{attrs} tabindex="0"{sort}>{label}</th>')
    body = rows or f'<tr class="empty"><td colspan="{len(columns)}">{empty}</td></tr>'
    return (
        f'<div class="scroll"><table id="{table_id}" class="sortable">\n'
        f"<thead><tr>{''.join(heads)}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table></div>"
    )


def render_track(track: str, entries: Sequence[Any], plot: str) -> str:
    """The ``<section>`` of one track: its table, its Pareto plot and its per-case table."""
    heading, intro = TRACK_TITLES[track]
    ranked = sum(e.ranked for e in entries)
    rows = render_rows(entries)
    case_rows = render_case_rows(entries)
    return "\n".join(
        [
            f'<section class="track" id="track-{track}">',
            f"<h2>{heading}</h2>",
            f'<p class="counts">{len(entries)} submissions, {ranked} ranked. {intro}</p>',
            _table(f"board-{track}", _COLUMNS, rows, "no submissions on this track yet"),
            "<h3>Accuracy vs generated tokens</h3>",
            f'<img class="plot" id="pareto-{track}" src="{esc(plot)}" '
            f'alt="accuracy versus generated tokens per episode, {track} track">',
            "<h3>Per task</h3>",
            _table(f"cases-{track}", _CASE_COLUMNS, case_rows, "no per-task numbers"),
            "</section>",
        ]
    )


def _unplaced(entries: Sequence[Any]) -> str:
    if not entries:
        return ""
    rows = [
        f"<tr {_row_attrs(i, e)}>{_cell(esc(e.name), e.name, num=False)}"
        f"{_cell(esc(e.reason), e.reason, num=False, cls='reason')}{_badges(e)}</tr>"
        for i, e in enumerate(entries)
    ]
    cols = (("submission", "str", False, ""), ("problem", "str", False, ""))
    cols += (("badges", "str", False, ""),)
    return "\n".join(
        [
            '<section id="unplaced">',
            "<h2>Submissions that could not be placed in a track</h2>",
            "<p>Their metadata.json or directory cannot be read, so their track is unknown.</p>",
            _table("board-unplaced", cols, "\n".join(rows), ""),
            "</section>",
        ]
    )


def render_page(entries: Sequence[Any], *, title: str, plots: Mapping[str, str]) -> str:
    """The whole ``index.html`` for ``entries`` (already in display order); ``plots`` maps each
    track to its plot's file name."""
    from econ_env.version import __version__

    template = Template(
        resources.files("econ_env.bench").joinpath("templates/leaderboard.html").read_text("utf-8")
    )
    sections = [render_track(t, [e for e in entries if e.track == t], p) for t, p in plots.items()]
    return template.substitute(
        title=esc(title),
        count=len(entries),
        ranked=sum(e.ranked for e in entries),
        sections="\n".join(sections),
        unplaced=_unplaced([e for e in entries if e.track not in plots]),
        version=esc(__version__),
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )

"""The leaderboard's accuracy-vs-generated-tokens plot and its Pareto frontier.

Labels come from submissions: they are passed through
:func:`econ_env.bench.safe_text.display_safe` (no control or bidirectional-control characters,
no lone surrogates) and drawn without mathtext parsing. The page draws one plot per track. Only
ranked entries (``complete`` and ``re-run`` / ``verified-log``) are filled and make the frontier;
the others with numbers are drawn hollow: grey ``partial``, purple ``self-reported`` (complete
but not independently produced), orange ``unverified``; ``invalid`` ones have no numbers and are
omitted.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from econ_env.bench.safe_io import atomic_write
from econ_env.bench.safe_text import display_safe

__all__ = ["LABEL_CHARS", "pareto_frontier", "pareto_png", "plot_label", "plot_pareto"]

LABEL_CHARS = 40
_RANKED, _PARTIAL, _SELF, _REJECTED = "tab:blue", "tab:gray", "tab:purple", "tab:orange"


def pareto_frontier(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the (x = cost, y = accuracy) points no other point beats, by ascending x.

    A point is on the frontier when no other point has ``x <=`` and ``y >=`` with one strict;
    of identical points only the first is kept.
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1], i))
    frontier: list[int] = []
    best = -math.inf
    for i in order:
        if points[i][1] > best:
            frontier.append(i)
            best = points[i][1]
    return frontier


def _err(v: float, ci: tuple[float, float] | None) -> tuple[float, float]:
    if ci is None:
        return 0.0, 0.0
    return max(0.0, v - ci[0]), max(0.0, ci[1] - v)


def _color(e: Any) -> str:
    if getattr(e, "ranked", False):
        return _RANKED
    if e.status == "unverified":
        return _REJECTED
    return _PARTIAL if e.status == "partial" else _SELF


def plot_label(entry: Any) -> str:
    """The label drawn next to an entry's point (display-safe, at most LABEL_CHARS): the policy
    (else the name), and on the real-model track the model id's last path part."""
    text = entry.policy or entry.name
    model = str(getattr(entry, "model_id", "") or "").rsplit("/", 1)[-1]
    if getattr(entry, "track", "") == "real-model" and model:
        text = f"{text} · {model}"
    text = display_safe(text)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def pareto_png(entries: Iterable[Any], note: str = "", title: str = "") -> bytes:
    """The plot of ``entries`` (leaderboard ``Entry`` objects, one track) as PNG bytes."""
    from matplotlib.figure import Figure  # Agg canvas, no pyplot global state

    shown = [e for e in entries if e.accuracy is not None and e.generated_tokens is not None]
    fig = Figure(figsize=(8, 5), dpi=100)
    ax = fig.add_subplot()
    if note or not shown:
        msg = note or "no submissions with numbers on this track"
        ax.text(0.5, 0.5, msg, ha="center", va="center", transform=ax.transAxes, parse_math=False)
    for e in shown:
        x, y = float(e.generated_tokens or 0.0), float(e.accuracy or 0.0)
        color = _color(e)
        xe, ye = _err(x, e.generated_ci), _err(y, e.accuracy_ci)
        ax.errorbar(
            [x],
            [y],
            xerr=[[xe[0]], [xe[1]]],
            yerr=[[ye[0]], [ye[1]]],
            fmt="o",
            color=color,
            mfc=color if getattr(e, "ranked", False) else "none",
            capsize=3,
            lw=1,
        )
        ax.annotate(
            plot_label(e),
            (x, y),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize=8,
            parse_math=False,
        )
    ranked = [e for e in shown if getattr(e, "ranked", False)]
    pts = [(float(e.generated_tokens or 0.0), float(e.accuracy or 0.0)) for e in ranked]
    idx = pareto_frontier(pts)
    if idx:
        xs = [pts[i][0] for i in idx]
        ys = [pts[i][1] for i in idx]
        right = max(p[0] for p in pts)
        if right > xs[-1]:
            xs.append(right)
            ys.append(ys[-1])
        ax.step(xs, ys, where="post", color="tab:green", lw=1.5, label="Pareto frontier (ranked)")
        ax.legend(loc="lower right", fontsize=8)
    ax.margins(x=0.15)
    ax.set_xlabel("generated tokens per episode (mean)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.02, 1.05)
    if title:
        ax.set_title(display_safe(title), fontsize=10, parse_math=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def plot_pareto(entries: Iterable[Any], path: Path) -> Path:
    """Draw accuracy vs generated tokens (CIs, ranked Pareto step line) into ``path`` (PNG),
    written atomically."""
    atomic_write(Path(path), pareto_png(entries))
    return Path(path)

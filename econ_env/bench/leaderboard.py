"""Build the econ-bench leaderboard: a static HTML site from a directory of submissions.

``build_leaderboard(submissions_dir, out_dir)`` treats every subdirectory of ``submissions_dir``
as a submission (the ``metadata.json`` / ``traces.jsonl`` / ``results.json`` written by
``econ-env bench run``), verifies each with :func:`econ_env.bench.verify.verify_submission` and
writes ``index.html`` (a sortable table with a verified / unverified / invalid badge per
submission, the accuracy-vs-generated-tokens Pareto plot and a per-task breakdown), ``pareto.png``
and ``leaderboard.json`` (the same numbers, for machines) into ``out_dir``.

Submissions are untrusted data: files are size-capped and parsed as JSON only (never unpickled or
executed), every string is HTML-escaped, labels are drawn without mathtext parsing, and a broken
submission is listed as "invalid" with the reason instead of failing the build.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

STATUSES = ("verified", "unverified", "invalid")
MAX_RESULTS_BYTES = 5_000_000
LABEL_CHARS = 40

Verifier = Callable[[Path], Any]


@dataclass(frozen=True)
class CaseRow:
    """One submission's numbers on one suite case (task)."""

    case: str
    episodes: int
    accuracy: float
    billed_tokens: float
    generated_tokens: float

    def __post_init__(self) -> None:
        if self.episodes < 0:
            raise ValueError(f"episodes must be >= 0, got {self.episodes}")
        if not 0.0 <= self.accuracy <= 1.0:
            raise ValueError(f"accuracy must be in [0, 1], got {self.accuracy}")


@dataclass(frozen=True)
class Entry:
    """One submission as shown on the leaderboard (numbers are ``None`` when invalid)."""

    name: str
    status: str
    reason: str = ""
    policy: str = ""
    suite: str = ""
    suite_version: str = ""
    episodes: int | None = None
    accuracy: float | None = None
    accuracy_ci: tuple[float, float] | None = None
    billed_tokens: float | None = None
    billed_ci: tuple[float, float] | None = None
    generated_tokens: float | None = None
    generated_ci: tuple[float, float] | None = None
    accuracy_per_1k_generated: float | None = None
    per_case: tuple[CaseRow, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.status != "invalid" and self.accuracy is None:
            raise ValueError("accuracy must be set unless status is 'invalid'")


def _num(d: Mapping[str, Any], key: str, lo: float = 0.0, hi: float = math.inf) -> float:
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"{key!r} must be a finite number, got {_short(repr(v))}")
    if not lo <= v <= hi:
        raise ValueError(f"{key!r} must be in [{lo}, {hi}], got {v}")
    return float(v)


def _ci(d: Mapping[str, Any], key: str, hi: float = math.inf) -> tuple[float, float]:
    v = d.get(key)
    if not isinstance(v, list) or len(v) != 2:
        raise ValueError(f"{key!r} must be a list [lo, hi], got {_short(repr(v))}")
    lo_v, hi_v = (_num({key: x}, key, 0.0, hi) for x in v)
    if lo_v > hi_v:
        raise ValueError(f"{key!r} has lo > hi: {v}")
    return lo_v, hi_v


def _text(d: Mapping[str, Any], key: str) -> str:
    v = d.get(key, "")
    return v if isinstance(v, str) else str(v)


def _short(s: str, n: int = 200) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def read_results(path: Path) -> dict[str, Any]:
    """Parse a submission's ``results.json`` (size-capped; ``ValueError`` with the reason)."""
    f = path / "results.json"
    if f.is_symlink() or not f.is_file():
        raise ValueError("results.json is missing or not a regular file")
    size = f.stat().st_size
    if size > MAX_RESULTS_BYTES:
        raise ValueError(f"results.json is {size} bytes, over the {MAX_RESULTS_BYTES} limit")
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"results.json is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("results.json must hold a JSON object")
    return data


def entry_from_results(name: str, data: Mapping[str, Any], status: str, reason: str) -> Entry:
    """Build an :class:`Entry` from a parsed results dict (``ValueError`` on bad fields)."""
    acc = _num(data, "accuracy", 0.0, 1.0)
    gen = _num(data, "generated_tokens")
    per_1k = data.get("accuracy_per_1k_generated")
    if isinstance(per_1k, bool) or not isinstance(per_1k, (int, float)):
        per_1k = 1000.0 * acc / gen if gen > 0 else 0.0
    per_1k = _num({"accuracy_per_1k_generated": per_1k}, "accuracy_per_1k_generated")
    cases = []
    raw_cases = data.get("per_case", {})
    if isinstance(raw_cases, dict):
        for case, row in raw_cases.items():
            if not isinstance(row, dict):
                continue
            try:
                cases.append(
                    CaseRow(
                        case=str(case),
                        episodes=int(_num(row, "episodes")),
                        accuracy=_num(row, "accuracy", 0.0, 1.0),
                        billed_tokens=_num(row, "billed_tokens"),
                        generated_tokens=_num(row, "generated_tokens"),
                    )
                )
            except ValueError:
                continue
    return Entry(
        name=name,
        status=status,
        reason=reason,
        policy=_text(data, "policy"),
        suite=_text(data, "suite"),
        suite_version=_text(data, "suite_version"),
        episodes=int(_num(data, "episodes")),
        accuracy=acc,
        accuracy_ci=_ci(data, "accuracy_ci", 1.0),
        billed_tokens=_num(data, "billed_tokens"),
        billed_ci=_ci(data, "billed_ci"),
        generated_tokens=gen,
        generated_ci=_ci(data, "generated_ci"),
        accuracy_per_1k_generated=per_1k,
        per_case=tuple(cases),
    )


def load_entry(path: Path, verifier: Verifier) -> Entry:
    """Read, verify and summarise one submission directory; never raises on bad data."""
    name = path.name
    try:
        data = read_results(path)
        entry_from_results(name, data, "verified", "")  # validate the numbers first
    except (ValueError, OSError) as exc:
        return Entry(name=name, status="invalid", reason=_short(str(exc), 500))
    try:
        report = verifier(path)
        errors = [str(e) for e in getattr(report, "errors", [])]
        ok = bool(getattr(report, "ok", False)) and not errors
    except Exception as exc:  # a crash in verification must not break the build
        ok, errors = False, [f"verification failed: {type(exc).__name__}: {exc}"]
    if ok:
        return entry_from_results(name, data, "verified", "re-scored from its traces")
    reason = errors[0] if errors else "verification failed"
    return entry_from_results(name, data, "unverified", _short(reason, 500))


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


def plot_pareto(entries: Iterable[Entry], path: Path) -> Path:
    """Draw accuracy vs generated tokens (CIs, verified Pareto step line) into ``path`` (PNG)."""
    from matplotlib.figure import Figure  # Agg canvas, no pyplot global state

    shown = [e for e in entries if e.accuracy is not None and e.generated_tokens is not None]
    fig = Figure(figsize=(8, 5), dpi=100)
    ax = fig.add_subplot()
    if not shown:
        ax.text(0.5, 0.5, "no valid submissions", ha="center", va="center", transform=ax.transAxes)
    for e in shown:
        x, y = float(e.generated_tokens or 0.0), float(e.accuracy or 0.0)
        verified = e.status == "verified"
        xe, ye = _err(x, e.generated_ci), _err(y, e.accuracy_ci)
        ax.errorbar(
            [x],
            [y],
            xerr=[[xe[0]], [xe[1]]],
            yerr=[[ye[0]], [ye[1]]],
            fmt="o",
            color="tab:blue" if verified else "tab:orange",
            mfc="tab:blue" if verified else "none",
            capsize=3,
            lw=1,
        )
        label = _short(e.policy or e.name, LABEL_CHARS)
        ax.annotate(
            label, (x, y), xytext=(5, 5), textcoords="offset points", fontsize=8, parse_math=False
        )
    ver = [e for e in shown if e.status == "verified"]
    pts = [(float(e.generated_tokens or 0.0), float(e.accuracy or 0.0)) for e in ver]
    idx = pareto_frontier(pts)
    if idx:
        xs = [pts[i][0] for i in idx]
        ys = [pts[i][1] for i in idx]
        right = max(p[0] for p in pts)
        if right > xs[-1]:
            xs.append(right)
            ys.append(ys[-1])
        ax.step(xs, ys, where="post", color="tab:green", lw=1.5, label="Pareto frontier (verified)")
        ax.legend(loc="lower right", fontsize=8)
    ax.margins(x=0.15)
    ax.set_xlabel("generated tokens per episode (mean)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.02, 1.05)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def _cell(display: str, sort: object, num: bool = True) -> str:
    cls = ' class="num"' if num else ""
    return f'<td{cls} data-sort="{_e(sort)}">{display}</td>'


def _num_cell(v: float | None, ci: tuple[float, float] | None, digits: int) -> str:
    if v is None:
        return _cell("–", "")
    text = f"{v:.{digits}f}"
    if ci is not None:
        text += f' <span class="ci">[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]</span>'
    return _cell(text, repr(v))


def _badge(e: Entry) -> str:
    title = e.reason or e.status
    return (
        f'<td data-sort="{_e(e.status)}"><span class="badge {_e(e.status)}" '
        f'title="{_e(title)}">{_e(e.status)}</span></td>'
    )


def _suite_label(e: Entry) -> str:
    return f"{e.suite} v{e.suite_version}" if e.suite else ""


def render_rows(entries: Sequence[Entry]) -> str:
    """The main table's ``<tr>`` rows (escaped)."""
    rows = []
    for i, e in enumerate(entries):
        cells = [
            _cell(_e(e.name), e.name, num=False),
            _cell(_e(e.policy), e.policy, num=False),
            _cell(_e(_suite_label(e)), _suite_label(e), num=False),
            _cell(_e(e.episodes) if e.episodes is not None else "–", e.episodes or ""),
            _num_cell(e.accuracy, e.accuracy_ci, 3),
            _num_cell(e.billed_tokens, e.billed_ci, 1),
            _num_cell(e.generated_tokens, e.generated_ci, 1),
            _num_cell(e.accuracy_per_1k_generated, None, 4),
            _badge(e),
        ]
        rows.append(
            f'<tr data-index="{i}" data-name="{_e(e.name)}" class="{_e(e.status)}">'
            + "".join(cells)
            + "</tr>"
        )
    return "\n".join(rows)


def render_case_rows(entries: Sequence[Entry]) -> str:
    """The per-task table's ``<tr>`` rows, grouped by case (escaped)."""
    pairs = [(c, e) for e in entries for c in e.per_case]
    pairs.sort(key=lambda p: (p[0].case, -p[0].accuracy, p[1].name))
    rows = []
    for i, (c, e) in enumerate(pairs):
        cells = [
            _cell(_e(c.case), c.case, num=False),
            _cell(_e(e.name), e.name, num=False),
            _cell(_e(e.policy), e.policy, num=False),
            _cell(str(c.episodes), c.episodes),
            _num_cell(c.accuracy, None, 3),
            _num_cell(c.billed_tokens, None, 1),
            _num_cell(c.generated_tokens, None, 1),
            _badge(e),
        ]
        rows.append(f'<tr data-index="{i}">' + "".join(cells) + "</tr>")
    return "\n".join(rows)


def _default_verifier(gold_file: str | Path | None, replay: bool) -> Verifier:
    from econ_env.bench.verify import verify_submission

    def check(path: Path) -> Any:
        return verify_submission(path, gold_file=gold_file, replay=replay)

    return check


def _sort_key(e: Entry) -> tuple[float, str]:
    return (-(e.accuracy if e.accuracy is not None else -1.0), e.name)


def build_leaderboard(
    submissions_dir: str | Path,
    out_dir: str | Path,
    *,
    gold_file: str | Path | None = None,
    replay: bool = True,
    verifier: Verifier | None = None,
    title: str = "econ-bench leaderboard",
) -> Path:
    """Verify every submission under ``submissions_dir`` and write the site; returns index.html.

    ``verifier(path)`` (default: ``verify_submission(path, gold_file=..., replay=...)``) must
    return an object with ``.ok`` and ``.errors``.
    """
    from econ_env.version import __version__

    src, out = Path(submissions_dir), Path(out_dir)
    if not src.is_dir():
        raise ValueError(f"submissions_dir {str(src)!r} is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    check = verifier if verifier is not None else _default_verifier(gold_file, replay)
    out_resolved = out.resolve()
    dirs = sorted(
        d
        for d in src.iterdir()
        if d.is_dir() and not d.name.startswith(".") and d.resolve() != out_resolved
    )
    entries = sorted((load_entry(d, check) for d in dirs), key=_sort_key)
    plot_pareto(entries, out / "pareto.png")
    (out / "leaderboard.json").write_text(
        json.dumps([asdict(e) for e in entries], indent=1) + "\n", encoding="utf-8"
    )
    template = Template(
        resources.files("econ_env.bench").joinpath("templates/leaderboard.html").read_text("utf-8")
    )
    page = template.substitute(
        title=_e(title),
        count=len(entries),
        verified=sum(e.status == "verified" for e in entries),
        rows=render_rows(entries),
        case_rows=render_case_rows(entries),
        plot="pareto.png",
        version=_e(__version__),
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index

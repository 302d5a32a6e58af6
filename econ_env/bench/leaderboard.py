"""Build the econ-bench leaderboard: a static HTML site from a directory of submissions.

``build_leaderboard(submissions_dir, out_dir)`` treats every subdirectory of ``submissions_dir``
as a submission (the ``metadata.json`` / ``traces.jsonl`` / ``results.json`` written by
``econ-env bench run``), verifies each with :func:`econ_env.bench.verify.verify_submission` and
writes ``index.html`` (a sortable table with a status badge per submission, the
accuracy-vs-generated-tokens Pareto plot and a per-task breakdown), ``pareto.png`` and
``leaderboard.json`` (the same numbers, for machines) into ``out_dir``. Statuses:

* ``verified``: re-scored from its traces, and its episode set is the suite's complete set with
  the suite's budgets: only these are **ranked** (and make the Pareto frontier);
* ``partial``: verified, but a ``--limit`` or custom-``budgets`` run (shown with its limit and
  budgets, never ranked);
* ``unverified``: the verifier rejected it (the first reason is shown);
* ``invalid``: it cannot be read at all (the reason is shown): a symbolic link (the directory or
  a file in it), a directory name that is not UTF-8, or a ``results.json`` that is missing, too
  large, not bounded strict JSON (:func:`econ_env.bench.safe_json.loads_bounded`) or has bad
  numbers.

Submissions are untrusted data: files are size-capped and parsed as JSON only (never unpickled or
executed), every string is made display-safe and HTML-escaped, labels are drawn without mathtext
parsing, and one broken submission is listed as "invalid" with the reason instead of failing the
build. The three files are rendered in memory and written atomically (temp file + rename), the
page last, so a failed build leaves the previous site whole.
"""

from __future__ import annotations

import html  # noqa: F401  (tests and callers use leaderboard.html.escape)
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from econ_env.bench.leaderboard_html import render_case_rows, render_page, render_rows
from econ_env.bench.leaderboard_plot import LABEL_CHARS, pareto_frontier, pareto_png, plot_pareto
from econ_env.bench.limits import MAX_RESULTS_BYTES
from econ_env.bench.safe_io import MissingFile, atomic_write, directory_problems, read_capped
from econ_env.bench.safe_json import loads_bounded
from econ_env.bench.safe_text import display_safe, fs_name, is_utf8_name

__all__ = [
    "LABEL_CHARS",
    "MAX_RESULTS_BYTES",
    "STATUSES",
    "CaseRow",
    "Entry",
    "build_leaderboard",
    "entry_from_results",
    "load_entry",
    "pareto_frontier",
    "plot_pareto",
    "read_results",
    "render_case_rows",
    "render_rows",
]

STATUSES = ("verified", "partial", "unverified", "invalid")
_ORDER = {s: i for i, s in enumerate(STATUSES)}

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
    """One submission as shown on the leaderboard (numbers are ``None`` when invalid).

    ``scope`` is the run's limit/budgets when it is not the suite's complete set; ``rank`` is set
    for ranked (``verified``) entries only.
    """

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
    scope: str = ""
    rank: int | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.status != "invalid" and self.accuracy is None:
            raise ValueError("accuracy must be set unless status is 'invalid'")
        if self.rank is not None and self.status != "verified":
            raise ValueError(f"only verified entries are ranked, got status {self.status!r}")


def _num(d: Mapping[str, Any], key: str, lo: float = 0.0, hi: float = math.inf) -> float:
    v = d.get(key)
    ok = isinstance(v, (int, float)) and not isinstance(v, bool)
    if not ok or not math.isfinite(float(v)):  # ints are bounded by loads_bounded
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
    return display_safe(_short(v if isinstance(v, str) else repr(v), 256))


def _short(s: str, n: int = 200) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def read_results(path: Path) -> dict[str, Any]:
    """Parse a submission's ``results.json`` (size-capped, bounded strict JSON, never through a
    symbolic link; ``ValueError`` with the reason)."""
    try:
        raw = read_capped(path / "results.json", MAX_RESULTS_BYTES)
    except MissingFile:
        raise ValueError("results.json is missing") from None
    except ValueError as exc:
        raise ValueError(f"results.json: {exc}") from None
    try:
        data = loads_bounded(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
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
                        case=display_safe(_short(str(case), 128)),
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
        reason=display_safe(reason),
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


def _invalid(name: str, reason: str) -> Entry:
    return Entry(name=name, status="invalid", reason=display_safe(_short(reason, 500)))


def _verdict(report: Any) -> tuple[bool, bool, list[str], str]:
    errors = [str(e) for e in getattr(report, "errors", [])]
    ok = bool(getattr(report, "ok", False)) and not errors
    complete = getattr(report, "complete", False) is True
    scope = report.scope() if callable(getattr(report, "scope", None)) else ""
    return ok, complete, errors, str(scope)


def _load(path: Path, name: str, verifier: Verifier) -> Entry:
    if not is_utf8_name(path.name):
        return _invalid(name, "the directory name is not valid UTF-8")
    problems = directory_problems(path)
    if problems:
        return _invalid(name, problems[0])
    try:
        data = read_results(path)
        entry_from_results(name, data, "verified", "")  # validate the numbers first
    except (ValueError, OSError) as exc:
        return _invalid(name, str(exc))
    try:
        ok, complete, errors, scope = _verdict(verifier(path))
    except Exception as exc:  # a crash in verification must not break the build
        ok, complete, scope = False, False, ""
        errors = [f"verification failed: {type(exc).__name__}: {exc}"]
    if ok and complete:
        return entry_from_results(name, data, "verified", "re-scored from its traces")
    if ok:
        scope = scope or "not the suite's complete episode set"
        reason = (
            f"partial run ({scope}): re-scored from its traces, but not the suite's complete "
            "episode set with the suite's budgets, so not ranked"
        )
        return replace(entry_from_results(name, data, "partial", reason), scope=scope)
    reason = errors[0] if errors else "verification failed"
    return replace(entry_from_results(name, data, "unverified", _short(reason, 500)), scope=scope)


def load_entry(path: Path, verifier: Verifier) -> Entry:
    """Read, verify and summarise one submission directory; never raises on bad data."""
    name = display_safe(fs_name(path.name))
    try:
        return _load(path, name, verifier)
    except Exception as exc:  # one bad submission never breaks the build
        return _invalid(name, f"cannot be read: {type(exc).__name__}: {exc}")


def _default_verifier(gold_file: str | Path | None, replay: bool) -> Verifier:
    from econ_env.bench.verify import verify_submission

    def check(path: Path) -> Any:
        return verify_submission(path, gold_file=gold_file, replay=replay)

    return check


def _sort_key(e: Entry) -> tuple[int, float, str]:
    return (_ORDER[e.status], -(e.accuracy if e.accuracy is not None else -1.0), e.name)


def rank_entries(entries: list[Entry]) -> list[Entry]:
    """``entries`` in display order (verified by accuracy, then partial, unverified, invalid),
    the verified ones numbered 1, 2, ..."""
    ordered = sorted(entries, key=_sort_key)
    return [replace(e, rank=i + 1) if e.status == "verified" else e for i, e in enumerate(ordered)]


def _submission_dirs(src: Path, out: Path) -> list[Path]:
    out_resolved = out.resolve()
    dirs = []
    for d in src.iterdir():
        if d.name.startswith("."):
            continue
        # a symbolic link is listed (as invalid), never followed
        if d.is_symlink() or (d.is_dir() and d.resolve() != out_resolved):
            dirs.append(d)
    return sorted(dirs)


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

    ``verifier(path)`` (default: ``verify_submission(path, gold_file=..., replay=...)``) returns
    an object with ``.ok`` and ``.errors`` and, to be ranked, ``.complete`` (and ``.scope()``).
    """
    src, out = Path(submissions_dir), Path(out_dir)
    if not src.is_dir():
        raise ValueError(f"submissions_dir {str(src)!r} is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    check = verifier if verifier is not None else _default_verifier(gold_file, replay)
    entries = rank_entries([load_entry(d, check) for d in _submission_dirs(src, out)])
    try:
        png = pareto_png(entries)
    except Exception as exc:  # never lose the page over the plot
        png = pareto_png([], note=f"plot unavailable ({type(exc).__name__})")
    board = json.dumps([asdict(e) for e in entries], indent=1, allow_nan=False) + "\n"
    page = render_page(entries, title=title, plot="pareto.png")
    atomic_write(out / "pareto.png", png)
    atomic_write(out / "leaderboard.json", board.encode("utf-8"))
    index = out / "index.html"
    atomic_write(index, page.encode("utf-8", "replace"))  # display_safe left no surrogate
    return index

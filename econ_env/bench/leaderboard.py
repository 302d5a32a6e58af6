"""Build the econ-bench leaderboard: a static HTML site from a directory of submissions.

``build_leaderboard(submissions_dir, out_dir)`` treats every subdirectory of ``submissions_dir``
as a submission (the ``metadata.json`` / ``traces.jsonl`` / ``results.json`` written by
``econ-env bench run`` or ``econ-env bench evaluate``), verifies each with
:func:`econ_env.bench.verify.verify_submission` and writes ``index.html``, one Pareto plot per
track (``pareto-simulated.png``, ``pareto-real-model.png``) and ``leaderboard.json`` (the same
numbers, for machines) into ``out_dir``.

The page has two **tracks**, each with its own table, plot and per-case table
(:mod:`econ_env.bench.leaderboard_model`): *simulated* (the simulated backend; agent submissions
re-run by the maintainer) and *real-model* (any other backend; trace submissions with a
generation log). A submission whose ``metadata.json`` cannot be read is listed in a third table,
unplaced. Verification statuses:

* ``verified``: re-scored from its traces, on the suite's complete episode set with the suite's
  budgets (badge ``complete``);
* ``partial``: verified, but a ``--limit`` or custom-``budgets`` run (shown with its limit and
  budgets, never ranked);
* ``unverified``: the verifier rejected it (the first reason is shown), or its metadata cannot
  be read or names a track its backend contradicts;
* ``invalid``: it cannot be read at all (the reason is shown): a symbolic link (the directory or
  a file in it), a directory name that is not UTF-8, or a ``results.json`` that is missing, too
  large, not bounded strict JSON (:func:`econ_env.bench.safe_json.loads_bounded`) or has bad
  numbers.

Badges and ranking (:mod:`econ_env.bench.leaderboard_badges`): the simulated track ranks only
``complete`` + ``re-run`` entries (an ``evaluation`` block and an attestation valid under the
maintainer's key ``attest_key``), the real-model track only ``complete`` + ``verified-log``
entries; everything else is listed, never ranked, with the reason in its badge's tooltip. Only
ranked entries make a track's Pareto frontier.

Submissions are untrusted data: files are size-capped and parsed as JSON only (never unpickled or
executed), every string is made display-safe and HTML-escaped, labels are drawn without mathtext
parsing, and one broken submission is listed as "invalid" with the reason instead of failing the
build. The files are rendered in memory and written atomically (temp file + rename), the page
last, so a failed build leaves the previous site whole.
"""

from __future__ import annotations

import hashlib
import html  # noqa: F401  (tests and callers use leaderboard.html.escape)
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from econ_env.bench.leaderboard_badges import (
    BADGES,
    AttestationChecker,
    assign_badges,
    report_flags,
    rerun_problem,
)
from econ_env.bench.leaderboard_entry import (
    STATUSES,
    CaseRow,
    Entry,
    entry_from_results,
    read_results,
    short,
)
from econ_env.bench.leaderboard_html import render_case_rows, render_page, render_rows
from econ_env.bench.leaderboard_model import TRACKS, ModelInfo, model_info, read_metadata
from econ_env.bench.leaderboard_plot import LABEL_CHARS, pareto_frontier, pareto_png, plot_pareto
from econ_env.bench.limits import MAX_RESULTS_BYTES
from econ_env.bench.safe_io import atomic_write, directory_problems
from econ_env.bench.safe_text import display_safe, fs_name, is_utf8_name

__all__ = [
    "BADGES",
    "LABEL_CHARS",
    "MAX_RESULTS_BYTES",
    "STATUSES",
    "TRACKS",
    "CaseRow",
    "Entry",
    "build_leaderboard",
    "entry_from_results",
    "load_entry",
    "pareto_frontier",
    "plot_name",
    "plot_pareto",
    "rank_entries",
    "read_results",
    "render_case_rows",
    "render_rows",
]

_ORDER = {s: i for i, s in enumerate(STATUSES)}
_TRACK_ORDER = {t: i for i, t in enumerate((*TRACKS, ""))}

Verifier = Callable[[Path], Any]
RerunCheck = Callable[[Path, bool], "str | None"]


def _invalid(name: str, reason: str) -> Entry:
    reason = display_safe(short(reason, 500))
    return Entry(
        name=name,
        status="invalid",
        reason=reason,
        badges=("invalid",),
        badge_notes={"invalid": reason},
    )


def _verdict(report: Any) -> tuple[bool, bool, list[str], str]:
    errors = [str(e) for e in getattr(report, "errors", [])]
    ok = bool(getattr(report, "ok", False)) and not errors
    complete = getattr(report, "complete", False) is True
    scope = report.scope() if callable(getattr(report, "scope", None)) else ""
    return ok, complete, errors, str(scope)


def _model(path: Path) -> tuple[ModelInfo | None, str]:
    """The submission's :class:`ModelInfo`, or ``None`` and why it cannot be placed."""
    try:
        return model_info(read_metadata(path)), ""
    except (ValueError, OSError) as exc:
        return None, display_safe(short(str(exc), 500))


def _place(entry: Entry, info: ModelInfo | None) -> Entry:
    if info is None:
        return entry
    return replace(
        entry,
        track=info.track,
        backend=info.backend,
        model_id=info.model_id,
        revision=info.revision,
        weights_digest=info.weights_digest,
        simulator=info.simulator,
        decoding=info.decoding,
    )


def _verified(
    path: Path, name: str, data: Mapping[str, Any], verifier: Verifier
) -> tuple[Entry, Any]:
    """The entry as the verifier sees it (badges not yet assigned) and its report."""
    report = None
    try:
        report = verifier(path)
        ok, complete, errors, scope = _verdict(report)
    except Exception as exc:  # a crash in verification must not break the build
        ok, complete, scope = False, False, ""
        errors = [f"verification failed: {type(exc).__name__}: {exc}"]
    if ok and complete:
        return entry_from_results(name, data, "verified", "re-scored from its traces"), report
    if ok:
        scope = scope or "not the suite's complete episode set"
        reason = (
            f"partial run ({scope}): re-scored from its traces, but not the suite's complete "
            "episode set with the suite's budgets, so not ranked"
        )
        return replace(entry_from_results(name, data, "partial", reason), scope=scope), report
    reason = errors[0] if errors else "verification failed"
    entry = entry_from_results(name, data, "unverified", short(reason, 500))
    return replace(entry, scope=scope), report


def _load(path: Path, name: str, verifier: Verifier, rerun: RerunCheck | None) -> Entry:
    if not is_utf8_name(path.name):
        return _invalid(name, "the directory name is not valid UTF-8")
    problems = directory_problems(path)
    if problems:
        return _invalid(name, problems[0])
    info, meta_problem = _model(path)
    try:
        data = read_results(path)
        entry_from_results(name, data, "verified", "")  # validate the numbers first
    except (ValueError, OSError) as exc:
        return _place(_invalid(name, str(exc)), info)
    entry, report = _verified(path, name, data, verifier)
    problem = meta_problem if info is None else info.conflict
    if problem and entry.status != "unverified":  # never placed or ranked on broken metadata
        entry = replace(entry, status="unverified", reason=problem)
    entry = _place(entry, info)
    rerun_reason = None
    if info is not None and info.track == "simulated" and entry.status != "unverified":
        rerun_reason = (rerun or _no_key)(path, info.evaluation)
    log_replayed, spot_checked = report_flags(report)
    badges = assign_badges(
        entry.status,
        entry.reason,
        entry.track,
        rerun=rerun_reason,
        log_replayed=log_replayed,
        spot_checked=spot_checked,
        key_id=getattr(rerun, "key_id", ""),
    )
    return replace(entry, badges=badges.names, badge_notes=badges.notes, ranked=badges.ranked)


def _no_key(path: Path, evaluation: bool) -> str | None:
    return rerun_problem(path, evaluation=evaluation, key=None)


def load_entry(path: Path, verifier: Verifier, rerun: RerunCheck | None = None) -> Entry:
    """Read, verify and summarise one submission directory; never raises on bad data.

    ``rerun(path, has_evaluation)`` says why a simulated-track submission is not a maintainer's
    re-run (``None`` when it is); default: no key, so every one is self-reported.
    """
    name = display_safe(fs_name(path.name))
    try:
        return _load(path, name, verifier, rerun)
    except Exception as exc:  # one bad submission never breaks the build
        return _invalid(name, f"cannot be read: {type(exc).__name__}: {exc}")


def _default_verifier(gold_file: str | Path | None, replay: bool) -> Verifier:
    from econ_env.bench.verify import verify_submission

    def check(path: Path) -> Any:
        return verify_submission(path, gold_file=gold_file, replay=replay)

    return check


class _Rerun:
    """The re-run check under the maintainer's key (``key_id`` labels it on the page)."""

    def __init__(self, key: bytes | None, key_id: str, checker: AttestationChecker | None):
        if key is not None and not key_id:
            key_id = "sha256:" + hashlib.sha256(key).hexdigest()[:16]  # as attest.key_id_of
        self.key, self.key_id, self.checker = key, display_safe(short(key_id, 64)), checker

    def __call__(self, path: Path, evaluation: bool) -> str | None:
        return rerun_problem(path, evaluation=evaluation, key=self.key, checker=self.checker)


def _sort_key(e: Entry) -> tuple[int, bool, int, float, str]:
    acc = e.accuracy if e.accuracy is not None else -1.0
    return (_TRACK_ORDER[e.track], not e.ranked, _ORDER[e.status], -acc, e.name)


def rank_entries(entries: list[Entry]) -> list[Entry]:
    """``entries`` in display order: by track (simulated, real-model, unplaced), then ranked
    entries by accuracy, then the others (verified, partial, unverified, invalid); the ranked
    ones are numbered 1, 2, ... within their track."""
    out, counts = [], dict.fromkeys(TRACKS, 0)
    for e in sorted(entries, key=_sort_key):
        if e.ranked:
            counts[e.track] += 1
            e = replace(e, rank=counts[e.track])
        out.append(e)
    return out


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


def plot_name(track: str) -> str:
    """The file name of ``track``'s Pareto plot."""
    return f"pareto-{track}.png"


def _png(entries: list[Entry], track: str) -> bytes:
    try:
        return pareto_png([e for e in entries if e.track == track], title=f"{track} track")
    except Exception as exc:  # never lose the page over the plot
        return pareto_png([], note=f"plot unavailable ({type(exc).__name__})")


def build_leaderboard(
    submissions_dir: str | Path,
    out_dir: str | Path,
    *,
    gold_file: str | Path | None = None,
    replay: bool = True,
    verifier: Verifier | None = None,
    attest_key: bytes | None = None,
    key_id: str = "",
    attestation_checker: AttestationChecker | None = None,
    title: str = "econ-bench leaderboard",
) -> Path:
    """Verify every submission under ``submissions_dir`` and write the site; returns index.html.

    ``verifier(path)`` (default: ``verify_submission(path, gold_file=..., replay=...)``) returns
    an object with ``.ok`` and ``.errors`` and, to be ranked, ``.complete`` (and ``.scope()``;
    ``.log_replayed`` and ``.spot_checked`` for the real-model track's badges). ``attest_key``
    is the maintainer's attestation key: without it no simulated-track entry is ``re-run``, so
    none is ranked; ``key_id`` names it on the page; ``attestation_checker(path, key)``
    (default :func:`econ_env.bench.attest.check_attestation`) returns ``None`` when valid.
    """
    src, out = Path(submissions_dir), Path(out_dir)
    if not src.is_dir():
        raise ValueError(f"submissions_dir {str(src)!r} is not a directory")
    if attest_key is not None and (not isinstance(attest_key, bytes) or len(attest_key) < 16):
        raise ValueError("attest_key must be bytes, at least 16 of them (the maintainer's key)")
    out.mkdir(parents=True, exist_ok=True)
    check = verifier if verifier is not None else _default_verifier(gold_file, replay)
    rerun = _Rerun(attest_key, key_id, attestation_checker)
    entries = rank_entries([load_entry(d, check, rerun) for d in _submission_dirs(src, out)])
    pngs = {plot_name(t): _png(entries, t) for t in TRACKS}
    board = json.dumps([asdict(e) for e in entries], indent=1, allow_nan=False) + "\n"
    page = render_page(entries, title=title, plots={t: plot_name(t) for t in TRACKS})
    for name, png in pngs.items():
        atomic_write(out / name, png)
    atomic_write(out / "leaderboard.json", board.encode("utf-8"))
    index = out / "index.html"
    atomic_write(index, page.encode("utf-8", "replace"))  # display_safe left no surrogate
    return index

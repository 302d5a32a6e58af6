"""Verify an econ-bench submission directory: schema, episode set, scores, tokens and replay.

``verify_submission(path)`` treats the submission as untrusted data (strict JSON only; nothing
is unpickled, imported or executed from it). Cheap checks come first, so the work done before
anything is trusted is bounded by the suite, not by the submission (limits in
:mod:`econ_env.bench.limits`):

1. the directory and its entries are not symbolic links; the three files are present, regular
   and within their size limits (``metadata.json`` and ``results.json`` 1 MB, ``traces.jsonl``
   50 MB, lowered by ``max_file_bytes``);
2. ``metadata.json`` and ``results.json`` parse as bounded strict JSON
   (:func:`econ_env.bench.safe_json.loads_bounded`: no NaN/Infinity, integers within +-2**53,
   nesting <= 32, no lone surrogates) and match their JSON Schemas (``docs/schemas``);
3. the suite is known and its version, the backend and the prompt hash agree; the run's episode
   set follows from the suite and ``limit``/``budgets`` (at most 16 budgets);
4. ``traces.jsonl`` has at most that many lines (+ :data:`~econ_env.bench.limits.MAX_ERRORS`)
   and each parses and matches the trace schema;
5. the episode ids equal the run's: missing, unknown and duplicate ids are reported;
6. per episode (:func:`econ_env.bench.checks.check_episode`): fields and env config match the
   suite's, ``correct`` is re-scored, totals re-counted from the ledger, billed <= budget, and on
   the simulated backend the episode is replayed (the env counts tokens);
7. ``results.json`` is recomputed from the traces and compared (tolerance 1e-9);
8. on the real-model track (``track = "real-model"``), :mod:`econ_env.bench.verify_real`: the
   generation log is checked and every episode replayed from it, then tokens are recounted with
   the claimed model's tokenizer and ``spot_check`` requests regenerated.

Every problem becomes one line of :attr:`VerifyReport.errors` naming the file, the line or
episode, and the mismatch; the first :data:`~econ_env.bench.limits.MAX_ERRORS` are listed, the
rest counted, and episode checks stop once that many are found. Lines are terminal-safe
(:func:`econ_env.bench.safe_text.terminal_safe`). A run is *complete* when its episode set is
the suite's with the suite's budgets; only complete runs are ranked on the leaderboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from econ_env.bench import submission as sub
from econ_env.bench.checks import check_episode, compare_results
from econ_env.bench.limits import (
    MAX_BUDGETS,
    MAX_ERROR_CHARS,
    MAX_ERRORS,
)
from econ_env.bench.safe_io import directory_problems
from econ_env.bench.safe_json import short_repr as _r
from econ_env.bench.safe_text import fs_name, terminal_safe
from econ_env.bench.suites import EpisodeSpec, Suite, get_suite, list_suites
from econ_env.bench.verify_load import (
    load_gold,
    load_schema,
    parse_json,
    parse_traces,
    read_files,
    schema_errors,
)

__all__ = ["VerifyReport", "load_schema", "verify_submission"]

_MAX_LISTED = 10  # missing ids listed one by one before a summary line


@dataclass
class VerifyReport:
    """The outcome of :func:`verify_submission`: ``ok`` when ``errors`` is empty.

    ``limit``/``budgets`` are the run's (from ``metadata.json``) and ``complete`` says whether its
    episode set is the suite's complete set with the suite's budgets (``None`` until known).
    Add problems with :meth:`add`: they are made terminal-safe and listed up to ``max_errors``
    lines; ``found`` counts them all, ``more`` those not listed, ``unchecked`` the episodes left
    unchecked once the list was full. Real-model runs: ``log_replayed`` is true when every
    episode was replayed from the generation log and everything checked out, ``spot_checked``
    counts the regenerated requests that matched, ``notes`` says what was recounted and
    regenerated.
    """

    path: str
    errors: list[str] = field(default_factory=list)
    checked_episodes: int = 0
    suite: str | None = None
    limit: int | None = None
    budgets: list[int] | None = None
    complete: bool | None = None
    found: int = 0
    more: int = 0
    unchecked: int = 0
    max_errors: int = MAX_ERRORS
    notes: list[str] = field(default_factory=list)
    log_replayed: bool = False
    spot_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def full(self) -> bool:
        """Whether ``max_errors`` problems are listed (later ones are only counted)."""
        return len(self.errors) >= self.max_errors

    def add(self, problem: str) -> None:
        """Record one problem (escaped, shortened; counted only once ``full``)."""
        self.found += 1
        if self.full:
            self.more += 1
            return
        text = terminal_safe(problem)
        if len(text) > MAX_ERROR_CHARS:
            text = text[: MAX_ERROR_CHARS - 3] + "..."
        self.errors.append(text)

    def close(self) -> None:
        """Append the lines that count the problems not listed and the episodes not checked."""
        if self.unchecked:
            self.errors.append(
                f"checking stopped after {self.max_errors} problems: {self.unchecked} episodes "
                "were not checked"
            )
        if self.more:
            self.errors.append(f"... and {self.more} more problem(s) not listed")

    def scope(self) -> str:
        """The run's ``limit``/``budgets`` as text (``""`` for a complete run or when unknown)."""
        if self.complete is not False:
            return ""
        parts = [f"limit={self.limit}"] if self.limit is not None else []
        if self.budgets is not None:
            parts.append(f"budgets={self.budgets}")
        return ", ".join(parts) or "not the suite's complete episode set"

    def __str__(self) -> str:
        status = "REJECTED" if not self.ok else "OK" if self.complete else "OK, partial run"
        head = f"{terminal_safe(self.path)}: {status} ({self.checked_episodes} episodes)"
        if self.ok and not self.complete:
            head += f" [{self.scope()}; not ranked]"
        return "\n".join([head, *(f"  - {e}" for e in self.errors)])


# ----------------------------------------------------------------------------- stages
def _suite(meta: dict, results: Any, suites: Mapping[str, Suite], report: VerifyReport) -> Any:
    """The suite of ``meta`` after the metadata checks (None when the run cannot be placed)."""
    add = report.add
    if meta["suite"] not in suites:
        add(f"{sub.METADATA}: unknown suite {_r(meta['suite'])}; known: {sorted(suites)}")
        return None
    suite = suites[meta["suite"]]
    if meta["suite_version"] != suite.version:
        add(
            f"{sub.METADATA}: suite_version {_r(meta['suite_version'])} does not match "
            f"{suite.name} version {suite.version!r}"
        )
        return None
    evaluation = meta.get("evaluation")
    if isinstance(evaluation, dict) and "seeds" in evaluation:  # `bench evaluate`'s drawn seeds
        from econ_env.bench.hidden_seeds import seeded_suite

        try:
            suite = seeded_suite(suite, evaluation["seeds"])
        except ValueError as exc:
            add(f"{sub.METADATA}: evaluation.seeds: {exc}")
            return None
    backends = {str(c.config.get("backend", "simulated")) for c in suite.cases}
    if meta.get("track") == "real-model":  # the claimed backend, checked against the log
        from econ_env.bench.verify_real import metadata_problems

        for problem in metadata_problems(meta):
            add(problem)
    elif meta["backend"]["name"] not in backends:
        add(
            f"{sub.METADATA}: backend.name {_r(meta['backend']['name'])} but the suite's "
            f"episodes run on {sorted(backends)}"
        )
    if meta["prompt_hash"] != sub.prompt_hash():
        add(f"{sub.METADATA}: prompt_hash does not match this package's prompts")
    if results is not None:
        for key in ("suite", "suite_version", "policy"):
            if results[key] != meta[key]:
                add(f"{sub.RESULTS}: {key} {_r(results[key])} but metadata has {_r(meta[key])}")
    return suite


def _episode_set(
    specs: list[EpisodeSpec], traces: list, valid: list, report: VerifyReport, suite: Suite
) -> list[tuple[int, dict, EpisodeSpec]]:
    add = report.add
    by_id = {s.episode_id: s for s in specs}
    seen: dict[str, int] = {}
    to_check: list[tuple[int, dict, EpisodeSpec]] = []
    for n, t in valid:
        eid = t["episode_id"]
        if eid in seen:
            add(f"{sub.TRACES} line {n}: duplicate episode {eid} (first on line {seen[eid]})")
        elif eid not in by_id:
            add(f"{sub.TRACES} line {n}: unknown episode {eid} (not in {suite.name})")
        else:
            seen[eid] = n
            to_check.append((n, t, by_id[eid]))
    ids = {
        t["episode_id"]
        for _, t in traces
        if isinstance(t, dict) and isinstance(t.get("episode_id"), str)
    }
    missing = [s.episode_id for s in specs if s.episode_id not in ids]
    for eid in missing[:_MAX_LISTED]:
        add(f"{sub.TRACES}: missing episode {eid}")
    if len(missing) > _MAX_LISTED:
        add(f"{sub.TRACES}: {len(missing)} episodes missing in all")
    order = [spec for _, _, spec in to_check]
    if order != [s for s in specs if s.episode_id in seen]:
        add(f"{sub.TRACES}: episodes are not in suite order")
    return to_check


# ----------------------------------------------------------------------------- main
def verify_submission(
    path: str | Path,
    *,
    gold_file: str | Path | None = None,
    max_file_bytes: int | None = None,
    replay: bool = True,
    suites: Mapping[str, Suite] | None = None,
    tokenizer: bool | None = None,
    spot_check: int = 0,
    spot_seed: int = 0,
    spot_backend: str | None = None,
) -> VerifyReport:
    """Check the submission directory ``path`` (see the module docstring); never raises on bad
    data. ``max_file_bytes`` lowers every file's size limit; ``suites`` maps suite names to the
    suites to verify against (default: the shipped ones).

    Real-model submissions (:mod:`econ_env.bench.verify_real`): ``tokenizer`` recounts the
    logged tokens with the claimed model's tokenizer (``None``: when it is available offline;
    ``True``: an unavailable tokenizer rejects); ``spot_check`` regenerates that many requests
    (drawn with ``spot_seed``) with ``spot_backend`` (default: the claimed ``hf`` model).
    What was recounted and regenerated is summed up in :attr:`VerifyReport.notes`."""
    root = Path(path)
    report = VerifyReport(fs_name(str(root)))
    known = suites if suites is not None else {n: get_suite(n) for n in list_suites()}
    try:
        real = {"tokenizer": tokenizer, "k": spot_check, "seed": spot_seed,
                "backend": spot_backend}  # fmt: skip
        _verify(root, report, gold_file, max_file_bytes, replay, known, real)
    except Exception as exc:  # a bug or an unforeseen shape of data: reject, never crash
        report.add(f"verification stopped: {type(exc).__name__}: {exc}")
    report.close()
    return report


def _verify(
    root: Path,
    report: VerifyReport,
    gold_file: str | Path | None,
    max_file_bytes: int | None,
    replay: bool,
    suites: Mapping[str, Suite],
    real: Mapping[str, Any],
) -> None:
    add = report.add
    for problem in directory_problems(root):
        add(problem)
    texts = None if report.errors else read_files(root, max_file_bytes, report)
    if texts is None:
        return
    meta = parse_json(texts[sub.METADATA], sub.METADATA, report)
    results = parse_json(texts[sub.RESULTS], sub.RESULTS, report)
    if report.errors:
        return
    budgets = meta.get("budgets") if isinstance(meta, dict) else None
    if isinstance(budgets, list) and len(budgets) > MAX_BUDGETS:  # before any work on them
        add(f"{sub.METADATA}: budgets has {len(budgets)} entries; at most {MAX_BUDGETS} allowed")
        return
    m_errs = schema_errors("metadata", meta)
    r_errs = schema_errors("results", results)
    for e in m_errs:
        add(f"{sub.METADATA}: {e}")
    for e in r_errs:
        add(f"{sub.RESULTS}: {e}")
    if m_errs:
        return
    report.suite, report.limit, report.budgets = meta["suite"], meta["limit"], meta.get("budgets")
    suite = _suite(meta, None if r_errs else results, suites, report)
    if suite is None:
        return
    try:  # bounded: the schema allows at most MAX_BUDGETS budgets
        specs = suite.episodes(meta["limit"], budgets=meta.get("budgets"))
    except ValueError as exc:
        add(f"{sub.METADATA}: {exc}")
        return
    full_ids = [s.episode_id for s in suite.episodes()]
    report.complete = [s.episode_id for s in specs] == full_ids
    parsed = parse_traces(texts[sub.TRACES], len(specs), report)
    if parsed is None:
        return
    valid: list[tuple[int, dict]] = []
    for n, t in parsed:
        t_errs = schema_errors("trace", t)
        eid = t.get("episode_id") if isinstance(t, dict) else None
        for e in t_errs:
            add(f"{sub.TRACES} line {n} (episode {eid}): {e}")
        if not t_errs:
            valid.append((n, t))
    gold = None
    if suite.gold == "external":
        if gold_file is None:
            add(f"suite {suite.name} keeps its gold outside the package: pass gold_file")
        else:
            gold = load_gold(gold_file, report)
    to_check = _episode_set(specs, parsed, valid, report, suite)
    log = None
    if meta.get("track") == "real-model":
        from econ_env.bench import verify_real as vr

        log = vr.load_log(
            root, specs, suite, max_file_bytes, lambda e: schema_errors("generation", e), add
        )
        if log is None:
            return
    for k, (n, t, spec) in enumerate(to_check):
        if report.full:
            report.unchecked = len(to_check) - k
            break
        try:
            problems = check_episode(spec, t, suite, meta, gold, replay)
            if log is not None and replay and not problems:
                problems = vr.replay_logged(spec, t, t["config"], log.get(spec.episode_id, []))
        except Exception as exc:  # never crash on bad data
            problems = [f"cannot be checked: {type(exc).__name__}: {exc}"]
        for p in problems:
            add(f"{sub.TRACES} line {n} (episode {spec.episode_id}): {p}")
        report.checked_episodes += 1
    if not r_errs and valid:
        kept = [t for _, t in valid]
        actual = sub.compute_results(
            kept, suite=meta["suite"], suite_version=meta["suite_version"], policy=meta["policy"]
        )
        actual["schema_version"] = meta["schema_version"]  # version 1 submissions still verify
        compare_results(results, actual, add)
    if log is not None:
        vr.finish(meta, log, {**real, "replay": replay}, report)

"""The real-model track: ``bench run --backend`` logs every generation, ``bench verify`` replays
every episode from the log, recounts tokens with the claimed model's tokenizer and spot-checks
texts; tampering with the log, the ledger or the claimed model is rejected with a clear reason.

A fake deterministic backend (registered as ``fakedet``) covers the fast cases; one run through
the real llama.cpp SmolLM2 server (one auction and one debate episode, short drafts) covers the
tokenizer recount."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from econ_env.bench import submission as sub
from econ_env.bench.genlog import GENLOG, LogReplayBackend, request_to_json
from econ_env.bench.runner import episode_record, make_env, play_episode, run_suite
from econ_env.bench.suites import Suite, SuiteCase, get_suite, list_suites
from econ_env.bench.verify import verify_submission
from econ_env.llm.base import Completion, GenRequest
from econ_env.llm.registry import register_backend
from econ_env.models.prepare import ensure_prepared

SHORT = {"n_agents": 3, "max_rounds": 1}
REAL_TINY = Suite(
    "real-tiny/v0",
    "0.1.0",
    (
        SuiteCase(
            "auction-arithmetic",
            "auction_v0",
            {**SHORT, "task": "arithmetic", "max_draft_tokens": 32},
            ("rg/basic_arithmetic/2024/0", "rg/basic_arithmetic/2024/1"),
            (512,),
            (0,),
        ),
        SuiteCase(
            "debate-arithmetic",
            "debate_v0",
            {**SHORT, "task": "arithmetic", "embedder": "hashed", "max_answer_tokens": 32},
            ("rg/basic_arithmetic/2024/0",),
            (4096,),
            (0,),
        ),
    ),
    "bundled",
)
SUITES = {**{n: get_suite(n) for n in list_suites()}, REAL_TINY.name: REAL_TINY}


class FakeDet:
    """A deterministic stand-in for a real model: the text is a hash of the request."""

    def __init__(self, variant: str = "a") -> None:
        self.name = f"fakedet:{variant}"
        self.variant = variant
        self.identity = {"backend": "fakedet", "model": f"fake-{variant}", "weights_sha256": "0"}

    def generate(self, requests: list[GenRequest]) -> list[Completion]:
        out = []
        for r in requests:
            key = json.dumps([self.variant, request_to_json(r)], sort_keys=True).encode()
            h = hashlib.sha256(key).digest()
            text = f"So it is {h[0] % 7}. The answer is \\boxed{{{h[0] % 7}}}."
            prompt = sum(len(m["content"]) for m in r.messages) // 4
            out.append(Completion(text, prompt, min(12, r.max_tokens), -h[1] / 256, 0.5))
        return out


register_backend("fakedet", FakeDet, replace=True)


def verify(path: Path, **kw):
    return verify_submission(path, suites=SUITES, **kw)


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fake_real")
    run_suite(REAL_TINY, "truthful", out, progress=False, backend="fakedet:a")
    return out


@pytest.fixture
def copy(fake_run: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "sub"
    shutil.copytree(fake_run, dst)
    return dst


def _lines(path: Path, name: str) -> list[dict]:
    return [json.loads(x) for x in (path / name).read_text().splitlines() if x.strip()]


def _write(path: Path, name: str, rows: list[dict]) -> None:
    (path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def _edit_meta(path: Path, **backend) -> None:
    meta = json.loads((path / sub.METADATA).read_text())
    meta["backend"].update(backend)
    sub.write_json(path / sub.METADATA, meta)


def _rebuild_traces(path: Path, suite: Suite = REAL_TINY) -> None:
    """Make traces and results consistent with the (edited) log, as a careful forger would."""
    log = _lines(path, GENLOG)
    specs = {
        s.episode_id: s
        for s in suite.episodes(json.loads((path / sub.METADATA).read_text())["limit"])
    }
    traces = _lines(path, sub.TRACES)
    fresh = []
    for t in traces:
        spec = specs[t["episode_id"]]
        entries = [e for e in log if e["episode_id"] == spec.episode_id]
        cfg = {**t["config"], "backend": LogReplayBackend(entries), "backend_kwargs": {}}
        env = make_env(spec.env, spec.env_config(cfg))
        actions, info = play_episode(env, spec, actions=t["actions"])
        fresh.append(episode_record(env, spec, t["config"], t["policy"], actions, info))
    _write(path, sub.TRACES, fresh)
    meta = json.loads((path / sub.METADATA).read_text())
    res = sub.compute_results(
        fresh, suite=meta["suite"], suite_version=meta["suite_version"], policy=meta["policy"]
    )
    sub.write_json(path / sub.RESULTS, res)


# ---------------------------------------------------------------------- honest runs
def test_a_real_backend_run_logs_every_generation_and_verifies(fake_run):
    meta = json.loads((fake_run / sub.METADATA).read_text())
    assert meta["schema_version"] == 2 and meta["track"] == "real-model"
    assert meta["generation_log"] == GENLOG
    assert meta["backend"]["spec"] == "fakedet:a" and meta["backend"]["model_id"] == "fake-a"
    assert meta["backend"]["weights_digest"] == "0"
    log = _lines(fake_run, GENLOG)
    traces = _lines(fake_run, sub.TRACES)
    assert {e["episode_id"] for e in log} == {t["episode_id"] for t in traces}
    assert all(t["config"]["backend"] == "fakedet:a" for t in traces)
    for t in traces:  # the ledger's generation counts are the log's
        logged = sorted(
            e["completion"]["completion_tokens"] for e in log if e["episode_id"] == t["episode_id"]
        )
        assert sum(logged) == sum(e["completion_tokens"] for e in t["ledger"])
    report = verify(fake_run)
    assert report.ok, report.errors
    assert report.checked_episodes == 3
    assert any("tokenizer recount skipped" in n for n in report.notes)


def test_a_simulated_run_is_on_the_simulated_track_without_a_log(tiny_complete, suites):
    meta = json.loads((tiny_complete / sub.METADATA).read_text())
    assert (meta["schema_version"], meta["track"], meta["generation_log"]) == (2, "simulated", None)
    assert not (tiny_complete / GENLOG).exists()
    assert verify_submission(tiny_complete, suites=suites).ok


def test_schema_version_1_submissions_still_verify(tiny_complete, suites, tmp_path):
    old = tmp_path / "v1"
    shutil.copytree(tiny_complete, old)
    meta = json.loads((old / sub.METADATA).read_text())
    meta["schema_version"] = 1
    for key in ("track", "generation_log", "evaluation"):
        del meta[key]
    del meta["backend"]["weights_digest"]
    sub.write_json(old / sub.METADATA, meta)
    res = json.loads((old / sub.RESULTS).read_text())
    res["schema_version"] = 1
    sub.write_json(old / sub.RESULTS, res)
    report = verify_submission(old, suites=suites)
    assert report.ok, report.errors


def test_an_interrupted_real_run_resumes_without_duplicating_log_lines(fake_run, tmp_path):
    out = tmp_path / "resume"
    shutil.copytree(fake_run, out)
    traces = (out / sub.TRACES).read_text().splitlines(keepends=True)
    (out / sub.TRACES).write_text("".join(traces[:1]))  # two episodes lost
    with (out / GENLOG).open("a") as fh:
        fh.write('{"v": 1, "episode_id": "cut off')  # a crash mid-line
    run_suite(REAL_TINY, "truthful", out, progress=False, backend="fakedet:a")
    assert (out / GENLOG).read_text() == (fake_run / GENLOG).read_text()
    assert verify(out).ok
    with pytest.raises(ValueError, match=r"backend\.spec"):
        run_suite(REAL_TINY, "truthful", out, progress=False, backend="fakedet:b")


def test_the_published_generation_schema_is_the_packaged_one():
    from econ_env.bench.verify import load_schema

    published = Path(__file__).resolve().parents[2] / "docs" / "schemas" / "generation.schema.json"
    assert json.loads(published.read_text()) == load_schema("generation")


def test_the_log_replay_backend_names_the_first_differing_field():
    entry = {
        "call": 0,
        "index": 0,
        "request": request_to_json(GenRequest(({"role": "user", "content": "hi"},), 8, seed=1)),
        "completion": {"text": "x", "prompt_tokens": 1, "completion_tokens": 1,
                       "mean_logprob": 0.0, "mean_entropy": 0.0, "finish_reason": "stop"},
    }  # fmt: skip
    backend = LogReplayBackend([entry], "ep")
    with pytest.raises(ValueError, match=r"episode ep: call 0 request 0 .*max_tokens 8 in the log"):
        backend.generate([GenRequest(({"role": "user", "content": "hi"},), 9, seed=1)])
    assert backend.generate([GenRequest(({"role": "user", "content": "hi"},), 8, seed=1)])[0].text
    with pytest.raises(ValueError, match="used up"):
        backend.generate([GenRequest(({"role": "user", "content": "hi"},), 8, seed=1)])


# ---------------------------------------------------------------------- tampering
def _rejected(path: Path, *needles: str, **kw) -> list[str]:
    report = verify(path, **kw)
    assert not report.ok
    text = "\n".join(report.errors)
    for needle in needles:
        assert needle in text, text
    return report.errors


def test_an_edited_completion_text_is_rejected(copy):
    log = _lines(copy, GENLOG)
    log[0]["completion"]["text"] = "The answer is \\boxed{999}."
    _write(copy, GENLOG, log)
    _rejected(copy, log[0]["episode_id"])


def test_an_edited_token_count_in_the_log_alone_is_rejected(copy):
    log = _lines(copy, GENLOG)
    log[1]["completion"]["completion_tokens"] -= 5
    _write(copy, GENLOG, log)
    _rejected(copy, "ledger entry", "differs from the replay")


def test_an_edited_token_count_in_the_ledger_alone_is_rejected(copy):
    traces = _lines(copy, sub.TRACES)
    entry = next(e for e in traces[0]["ledger"] if e["completion_tokens"] > 0)
    entry["completion_tokens"] -= 5
    traces[0]["totals"]["generated"] -= 5
    _write(copy, sub.TRACES, traces)
    _rejected(copy, "ledger entry", "differs from the replay")


def test_a_dropped_log_line_is_rejected(copy):
    log = _lines(copy, GENLOG)
    del log[1]
    _write(copy, GENLOG, log)
    _rejected(copy, "does not follow the previous entry")


def test_an_extra_log_call_is_rejected(copy):
    log = _lines(copy, GENLOG)
    last = [e for e in log if e["episode_id"] == log[0]["episode_id"]][-1]
    extra = {**last, "call": last["call"] + 1, "index": 0}
    log.insert(log.index(last) + 1, extra)
    _write(copy, GENLOG, log)
    _rejected(copy, "1 of the episode's", "never requested by the env")


def test_a_log_from_another_run_is_rejected(copy, tmp_path):
    other = tmp_path / "other"
    run_suite(REAL_TINY, "truthful", other, progress=False, backend="fakedet:b", limit=1)
    shutil.copy(other / GENLOG, copy / GENLOG)
    errors = _rejected(copy)
    assert any("transcript" in e or "generation log" in e or "missing" in e for e in errors)


def test_a_log_over_the_size_limit_is_rejected_before_parsing(copy, monkeypatch):
    from econ_env.bench import limits

    assert limits.file_limit(GENLOG) == limits.MAX_GENLOG_BYTES == 200_000_000
    size = (copy / GENLOG).stat().st_size
    monkeypatch.setitem(limits._FILE_LIMITS, GENLOG, size - 1)
    _rejected(copy, f"{GENLOG}: ", str(size - 1))


def test_a_log_with_more_lines_than_the_suite_allows_is_not_parsed(copy):
    (copy / GENLOG).write_text("{}\n" * 10_000)
    _rejected(copy, "lines, over the limit")


def test_a_malformed_log_line_is_rejected(copy):
    text = (copy / GENLOG).read_text().splitlines()
    text[2] = text[2][:40]
    (copy / GENLOG).write_text("\n".join(text) + "\n")
    _rejected(copy, f"{GENLOG} line 3: malformed JSON")


def test_a_log_line_outside_the_schema_is_rejected(copy):
    log = _lines(copy, GENLOG)
    log[0]["completion"]["text"] = "x" * 70_000
    _write(copy, GENLOG, log)
    _rejected(copy, f"{GENLOG} line 1: schema")


def test_a_missing_log_is_rejected(copy):
    (copy / GENLOG).unlink()
    _rejected(copy, f"{GENLOG}: missing")


def test_a_swapped_model_id_is_rejected(copy):
    _edit_meta(copy, model_id="gpt-9")
    _rejected(copy, "backend.model_id 'gpt-9' but the backend identity says 'fake-a'")


def test_spot_check_passes_on_the_claimed_model_and_catches_a_substituted_text(copy, tmp_path):
    report = verify(copy, spot_check=3, spot_seed=1, spot_backend="fakedet:a")
    assert report.ok, report.errors
    assert "3 of 3 regenerated requests match" in report.notes[-1]
    # Texts of model b passed off as model a's: every replay check passes, the spot-check not.
    forged = tmp_path / "forged"
    run_suite(REAL_TINY, "truthful", forged, progress=False, backend="fakedet:b")
    meta_a = json.loads((copy / sub.METADATA).read_text())["backend"]
    _edit_meta(forged, **meta_a)
    traces = _lines(forged, sub.TRACES)
    for t in traces:
        t["config"]["backend"] = "fakedet:a"
    _write(forged, sub.TRACES, traces)
    assert verify(forged).ok
    _rejected(forged, "spot-check: episode", "differs from fakedet:a's",
              spot_check=3, spot_backend="fakedet:a")  # fmt: skip


def test_cli_verify_prints_the_notes(fake_run, capsys, monkeypatch):
    from econ_env.bench import verify as verify_mod
    from econ_env.cli import main

    monkeypatch.setattr(verify_mod, "list_suites", lambda: sorted(SUITES))
    monkeypatch.setattr(verify_mod, "get_suite", SUITES.__getitem__)
    code = main(["bench", "verify", str(fake_run), "--spot-check", "2", "--spot-backend",
                 "fakedet:a", "--no-tokenizer"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 of 2 regenerated requests match" in out and "tokenizer recount" not in out


# ---------------------------------------------------------------------- a real model
@pytest.fixture(scope="module")
def llama_url() -> Iterator[str]:
    from econ_env.models import smollm2_gguf
    from econ_env.testing.llama_server import llama_server

    with llama_server(smollm2_gguf(), n_ctx=2048) as url:
        yield url


@pytest.fixture(scope="module")
def llama_run(llama_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ensure_prepared("smollm2")  # the tokenizer the recount reads (converted once per machine)
    out = tmp_path_factory.mktemp("llama_real")
    run_suite(REAL_TINY, "truthful", out, progress=False, backend=f"openai:{llama_url}", limit=1)
    return out


def test_a_llama_cpp_run_verifies_with_the_tokenizer_recount(llama_run, llama_url):
    meta = json.loads((llama_run / sub.METADATA).read_text())
    assert meta["track"] == "real-model"
    assert meta["backend"]["model_id"].endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    report = verify(llama_run, tokenizer=True)
    assert report.ok, report.errors
    n = len(_lines(llama_run, GENLOG))
    assert f"tokenizer recount (smollm2): {n} requests, {n} within tolerance" in report.notes[0]


def test_the_tokenizer_recount_catches_a_forged_count(llama_run, tmp_path):
    forged = tmp_path / "forged"
    shutil.copytree(llama_run, forged)
    log = _lines(forged, GENLOG)
    log[0]["completion"]["completion_tokens"] -= 10  # consistent everywhere but the tokenizer
    _write(forged, GENLOG, log)
    _rebuild_traces(forged)
    assert verify(forged, tokenizer=False).ok
    _rejected(forged, "tokenizer recount: episode", "call 0 request 0", tokenizer=True)


def test_the_tokenizer_recount_catches_counts_shaved_a_little_everywhere(llama_run, tmp_path):
    forged = tmp_path / "shaved"
    shutil.copytree(llama_run, forged)
    log = _lines(forged, GENLOG)
    for e in log:  # within the per-request tolerance, but not in total
        e["completion"]["completion_tokens"] = max(0, e["completion"]["completion_tokens"] - 2)
    _write(forged, GENLOG, log)
    _rebuild_traces(forged)
    assert verify(forged, tokenizer=False).ok
    errors = _rejected(forged, "tokenizer recount: completion tokens sum to", tokenizer=True)
    assert not any("tokenizer recount: episode" in e for e in errors)


def test_the_shipped_real_model_entry_verifies():
    """docs/assets/submissions/real-smollm2: SmolLM2-135M on llama.cpp, replayed and recounted."""
    root = Path(__file__).resolve().parents[2] / "docs" / "assets" / "submissions"
    ensure_prepared("smollm2")  # the tokenizer the recount reads (converted once per machine)
    report = verify_submission(root / "real-smollm2", tokenizer=True)
    assert report.ok, report.errors
    assert "76 requests, 76 within tolerance" in report.notes[0]
    assert verify_submission(root / "simulated-smollm2-suite").ok

"""``econ-env calibrate``: end to end on the simulated backend, re-fitting saved traces, bad
overrides, and a real model through the cache."""

from __future__ import annotations

import json

from econ_env.calibration import load_traces
from econ_env.cli import main
from econ_env.llm.simulated import SimParams


def test_cli_end_to_end_and_traces_reuse(tmp_path, capsys):
    out, report = tmp_path / "p.json", tmp_path / "r.md"
    args = ["calibrate", "--episodes", "6", "--out", str(out), "--report", str(report)]
    assert main([*args, "--repeats", "1", "-c", "max_rounds=2", "-c", "debate_v0.n_agents=2"]) == 0
    printed = capsys.readouterr().out
    assert "accuracy" in printed and "AUC[mean_logprob]" in printed
    doc = json.loads(out.read_text())
    assert doc["metadata"]["episodes"] == 6 and doc["metadata"]["model"] == "simulated"
    assert doc["metadata"]["env_kwargs"]["debate_v0"] == {"max_rounds": 2, "n_agents": 2}
    assert "accuracy" in doc["metadata"]["comparison"]
    text = report.read_text()
    assert "## Real vs simulated" in text and "| skill |" in text
    traces = tmp_path / "p.traces.jsonl"
    assert traces.is_file()
    # --traces: no model calls (an unusable backend spec is never built), the same fit
    out2 = tmp_path / "p2.json"
    refit = ["calibrate", "--traces", str(traces), "--backend", "hf:no-such-model"]
    assert main([*refit, "--out", str(out2), "--repeats", "1"]) == 0
    assert SimParams.from_json(out2) == SimParams.from_json(out)
    assert json.loads(out2.read_text())["metadata"]["model"] == "simulated"


def test_cli_rejects_bad_overrides(tmp_path, capsys):
    assert main(["calibrate", "--episodes", "1", "-c", "no_such_field=3"]) == 2
    assert "no_such_field" in capsys.readouterr().err
    assert main(["calibrate", "--episodes", "1", "-c", "chess_v0.n_agents=3"]) == 2
    assert "chess_v0" in capsys.readouterr().err
    assert main(["calibrate", "--traces", str(tmp_path / "none.jsonl")]) == 2
    assert "none.jsonl" in capsys.readouterr().err


def test_real_model_end_to_end_through_the_cache(tmp_path, capsys):
    """SmolLM2-135M plays one episode of each game through the cache; the re-run is all hits."""
    cache, out = tmp_path / "c.sqlite", tmp_path / "p.json"
    args = ["calibrate", "--backend", "hf:smollm2", "--episodes", "1", "--cache", str(cache)]
    args += ["--out", str(out), "--repeats", "1", "--backend-arg", "num_threads=1"]
    args += ["-c", "max_draft_tokens=24", "-c", "max_answer_tokens=24", "-c", "max_rounds=1"]
    args += ["-c", "strategy_cap=24", "-c", "strategy_soft_limit=20", "-c", "commitment_cap=16"]
    assert main(args) == 0
    rows, meta = load_traces(tmp_path / "p.traces.jsonl")
    assert meta["identity"] and meta["model"] == "hf:smollm2"
    assert {r.role for r in rows} >= {"draft", "strategy", "answer", "commitment"}
    for r in rows:
        assert 0 < r.completion_tokens <= r.max_tokens and r.prompt_tokens > r.n_messages
        assert r.mean_logprob <= 0 and r.mean_entropy >= 0
    # the re-run comes from the cache alone (replay mode: a miss would fail, no model is loaded)
    assert main([*args, "--cache-mode", "replay"]) == 0
    again, _ = load_traces(tmp_path / "p.traces.jsonl")
    assert again == rows
    assert SimParams.from_json(out).chars_per_token > 1.0


def test_trace_files_round_trip_gzipped(tmp_path):
    """A ``.gz`` trace path is gzip-compressed on write and read back the same."""
    import gzip

    from econ_env.calibration import save_traces
    from econ_env.calibration.record import record_traces
    from econ_env.llm.simulated import SimulatedBackend

    rows = record_traces(SimulatedBackend(seed=0), task="arithmetic", episodes=1)
    save_traces(tmp_path / "t.jsonl.gz", rows, {"m": 1})
    assert gzip.decompress((tmp_path / "t.jsonl.gz").read_bytes()).startswith(b'{"_meta"')
    back, meta = load_traces(tmp_path / "t.jsonl.gz")
    assert back == rows and meta == {"m": 1}

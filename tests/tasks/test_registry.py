"""Tests for econ_env.tasks.registry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from econ_env.tasks import registry
from econ_env.tasks.base import TaskSource
from econ_env.tasks.bundled import FiniteTaskSource, from_jsonl
from econ_env.tasks.registry import list_tasks, make_task, register_task


def test_builtin_names() -> None:
    assert {"arithmetic", "gsm_symbolic", "gsm8k", "mmlu", "jsonl"} <= set(list_tasks())
    assert list_tasks() == sorted(list_tasks())


def test_unknown_name_lists_registered() -> None:
    with pytest.raises(ValueError) as err:
        make_task("no-such-task")
    msg = str(err.value)
    assert "no-such-task" in msg
    for name in list_tasks():
        assert name in msg


def test_source_object_passes_through() -> None:
    src = make_task("gsm8k")
    assert make_task(src) is src
    with pytest.raises(ValueError, match="TaskSource"):
        make_task(src, path="x")
    with pytest.raises(ValueError, match="TaskSource"):
        make_task(42)  # type: ignore[arg-type]


def test_register_custom_and_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    path = tmp_path / "tiny.jsonl"
    rows = [{"question": "1+1?", "gold": "2"}, {"question": "2+2?", "answer": "4", "level": 3}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    register_task("tiny", lambda: from_jsonl(path, kind="numeric", name="tiny"))
    src = make_task("tiny")
    assert isinstance(src, TaskSource) and isinstance(src, FiniteTaskSource)
    assert list(src.ids()) == ["tiny/0", "tiny/1"]
    assert src.get("tiny/1").gold == "4" and src.get("tiny/1").meta["level"] == 3
    with pytest.raises(ValueError, match="already registered"):
        register_task("tiny", lambda: src)
    register_task("tiny", lambda: src, overwrite=True)
    assert make_task("tiny") is src
    with pytest.raises(ValueError, match="name"):
        register_task("", lambda: src)
    register_task("broken", lambda: object())
    with pytest.raises(ValueError, match="not a TaskSource"):
        make_task("broken")


def test_jsonl_task(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "q", "gold": "B", "kind": "choice"}) + "\n")
    src = make_task("jsonl", path=path)
    assert src.name == "t" and src.sample(np.random.default_rng(0)).id == "a"
    with pytest.raises(ValueError, match="path"):
        make_task("jsonl")


def test_import_does_not_load_reasoning_gym() -> None:
    import subprocess
    import sys

    code = "import sys, econ_env, econ_env.tasks; print('reasoning_gym' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

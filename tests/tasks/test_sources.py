"""Tests for the task sources: reasoning-gym, bundled GSM8K/MMLU, the JSONL loader."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.tasks.answers import check_answer, normalize_answer
from econ_env.tasks.arithmetic import ReasoningGymSource, common_divisors
from econ_env.tasks.base import TASK_KINDS, TaskItem, TaskSource
from econ_env.tasks.bundled import DATA_DIR, from_jsonl
from econ_env.tasks.mmlu import format_choice_question, load_mmlu
from econ_env.tasks.registry import DATASET_TASKS, list_tasks, make_task

# file/dataset-backed sources need a path or an offline package: tests/tasks/test_hf_datasets.py
SOURCES = [name for name in list_tasks() if name != "jsonl" and name not in DATASET_TASKS]


@pytest.fixture(scope="module", params=SOURCES)
def source(request: pytest.FixtureRequest) -> TaskSource:
    return make_task(request.param)


def test_items_valid(source: TaskSource) -> None:
    rng = np.random.default_rng(123)
    for _ in range(50):
        item = source.sample(rng)
        assert isinstance(item, TaskItem) and item.kind in TASK_KINDS
        assert item.id and item.question.strip() and item.gold.strip()
        assert check_answer(item.gold, item.gold, item.kind)
        assert 0.0 <= float(item.meta["difficulty"]) <= 1.0
        assert source.get(item.id) == item
        if item.kind == "choice":
            assert item.gold in "ABCDEFGHIJ"[: len(item.meta["choices"])]


def test_same_seed_same_sequence(source: TaskSource) -> None:
    a = [source.sample(np.random.default_rng(7)).id for _ in range(3)]
    rng1, rng2 = np.random.default_rng(99), np.random.default_rng(99)
    assert [source.sample(rng1) for _ in range(20)] == [source.sample(rng2) for _ in range(20)]
    assert len(set(a)) == 1
    rng3 = np.random.default_rng(100)
    assert [source.sample(rng3).id for _ in range(20)] != [
        source.sample(np.random.default_rng(99)).id for _ in range(20)
    ]


def test_get_unknown_id_raises(source: TaskSource) -> None:
    with pytest.raises(KeyError, match="nope/1"):
        source.get("nope/1")


def test_bundled_files_offline() -> None:
    for fname, kind, prefix in [
        ("gsm8k_test_sample.jsonl", "numeric", "gsm8k/test/"),
        ("mmlu_test_sample.jsonl", "choice", "mmlu/test/"),
    ]:
        path = DATA_DIR / fname
        assert path.stat().st_size < 300_000
        src = from_jsonl(path)
        ids = src.ids()
        assert len(ids) == 300 and len(set(ids)) == 300
        assert all(i.startswith(prefix) for i in ids)
        assert all(item.kind == kind for item in src)
    assert (DATA_DIR / "README.md").read_text().count("MIT") >= 2


def test_gsm8k_gold_is_clean_number() -> None:
    src = make_task("gsm8k")
    for item in src:
        assert normalize_answer(item.gold, "numeric") == item.gold.lstrip("+")
        assert "," not in item.gold
        assert int(item.id.rsplit("/", 1)[1]) < 1319


def test_mmlu_layout_and_subjects() -> None:
    src = make_task("mmlu")
    subjects = {item.meta["subject"] for item in src}
    assert len(subjects) == 57
    item = src.items()[0]
    assert item.question == format_choice_question(
        item.question.split("\n\nA. ")[0], item.meta["choices"]
    )
    assert isinstance(item.meta["choices"], tuple) and len(item.meta["choices"]) == 4
    sub = load_mmlu(subjects=["virology"])
    assert len(sub) >= 5 and all(i.meta["subject"] == "virology" for i in sub)
    with pytest.raises(ValueError, match="not in the MMLU source"):
        load_mmlu(subjects=["astrology"])
    with pytest.raises(ValueError, match="choices"):
        format_choice_question("q", ["only one"])


def test_arithmetic_ids_and_settings() -> None:
    src = make_task("arithmetic")
    item = src.sample(np.random.default_rng(0))
    gen, seed, idx = item.id.split("/")[1:]
    assert gen == "basic_arithmetic" and seed == "0" and 0 <= int(idx) < src.size
    assert src.ids() is None
    small = make_task("arithmetic", max_terms=3, max_digits=2)
    other = small.sample(np.random.default_rng(0))
    assert other.id.startswith("rg/basic_arithmetic+")
    assert other.meta["num_terms"] <= 3 and other.meta["num_digits"] <= 2
    with pytest.raises(KeyError):
        small.get(item.id)  # id of other settings
    with pytest.raises(KeyError):
        src.get(other.id)


def test_arithmetic_mixture_and_validation() -> None:
    src = make_task("arithmetic", generators=["basic_arithmetic", "chain_sum"], weights=[1, 3])
    rng = np.random.default_rng(5)
    gens = [src.sample(rng).meta["generator"] for _ in range(400)]
    share = gens.count("chain_sum") / len(gens)
    assert 0.65 < share < 0.85
    with pytest.raises(ValueError, match="generators"):
        make_task("arithmetic", generators=["no_such_generator"])
    with pytest.raises(ValueError, match="settings"):
        make_task("arithmetic", max_termz=3)
    with pytest.raises(ValueError, match="weights"):
        make_task("arithmetic", generators=["basic_arithmetic", "chain_sum"], weights=[1])
    with pytest.raises(ValueError, match="seed"):
        ReasoningGymSource(seed=-1)
    with pytest.raises(ValueError, match="size"):
        ReasoningGymSource(size=0)
    with pytest.raises(ValueError, match="basic_arithmetic"):
        ReasoningGymSource(min_terms=5, max_terms=2)


def test_arithmetic_items_match_reasoning_gym() -> None:
    import reasoning_gym

    src = make_task("arithmetic", seed=3)
    ds = reasoning_gym.create_dataset("basic_arithmetic", seed=3, size=src.size)
    rng = np.random.default_rng(11)
    for _ in range(30):
        item = src.sample(rng)
        raw = ds[int(item.id.rsplit("/", 1)[1])]
        assert item.question == raw["question"]
        assert check_answer(item.gold, raw["answer"], "numeric", rel_tol=0.0)


def _slow_divisors(a: int, b: int) -> list[int]:
    """reasoning-gym's original trial-division helper, restated as the reference."""
    x, y = abs(a), abs(b)
    while y:
        x, y = y, x % y
    out, i = [], 1
    while i * i <= x:
        if x % i == 0:
            out.append(i)
            if i * i != x:
                out.append(x // i)
        i += 1
    return out


@settings(max_examples=150, deadline=None)
@given(a=st.integers(-(10**8), 10**8), b=st.integers(0, 10**8))
def test_common_divisors_match_reference(a: int, b: int) -> None:
    assert common_divisors(a, b) == _slow_divisors(a, b)


def test_common_divisors_large() -> None:
    p, q = 1_000_000_007, 998_244_353
    divs = common_divisors(p * q * 12, 0)
    assert sorted(divs) == sorted({d * e for d in (1, 2, 3, 4, 6, 12) for e in (1, p, q, p * q)})
    rnd = random.Random(0)
    for _ in range(50):
        n = rnd.randint(1, 10**6)
        assert common_divisors(n, n * 7) == _slow_divisors(n, n * 7)


def test_jsonl_loader_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json}\n")
    with pytest.raises(ValueError, match="invalid JSON"):
        from_jsonl(bad, kind="numeric")
    dup = tmp_path / "dup.jsonl"
    dup.write_text((json.dumps({"id": "x", "question": "q", "gold": "1"}) + "\n") * 2)
    with pytest.raises(ValueError, match="duplicate"):
        from_jsonl(dup, kind="numeric")
    nokind = tmp_path / "nokind.jsonl"
    nokind.write_text(json.dumps({"question": "q", "gold": "1"}) + "\n")
    with pytest.raises(ValueError, match="kind"):
        from_jsonl(nokind)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(ValueError, match="no items"):
        from_jsonl(empty, kind="numeric")

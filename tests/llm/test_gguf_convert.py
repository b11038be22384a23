"""The parse-once memo used while transformers converts a GGUF file (lmforge.llm.gguf_convert)."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

from lmforge.llm.gguf_convert import _parse_once


def _tiny_gguf(path: Path) -> Path:
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_block_count(2)
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_one_reader_per_file_and_one_name_table_while_converting(tmp_path: Path) -> None:
    path = _tiny_gguf(tmp_path / "tiny.gguf")
    original_reader, original_map = gguf.GGUFReader, gguf.get_tensor_name_map
    with _parse_once():
        first, again = gguf.GGUFReader(path), gguf.GGUFReader(str(path))
        assert first is again and first.fields["general.architecture"] is not None
        arch = gguf.MODEL_ARCH.LLAMA
        assert gguf.get_tensor_name_map(arch, 2) is gguf.get_tensor_name_map(arch, 2)
        assert gguf.get_tensor_name_map(arch, 2).get_name("model.embed_tokens") == "token_embd"
    assert gguf.GGUFReader is original_reader and gguf.get_tensor_name_map is original_map
    assert gguf.GGUFReader(path) is not gguf.GGUFReader(path)  # no memo outside a conversion


def test_the_memo_is_undone_when_the_conversion_fails(tmp_path: Path) -> None:
    original = gguf.GGUFReader
    try:
        with _parse_once():
            raise RuntimeError("conversion failed")
    except RuntimeError:
        pass
    assert gguf.GGUFReader is original

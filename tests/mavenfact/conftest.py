"""Builders of the MAVEN-Fact tests: the example documents, and a tiny encoder from a config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "mavenfact"


@pytest.fixture
def docs_file() -> Path:
    return EXAMPLES / "docs.jsonl"


@pytest.fixture
def meantime(test_data: Path) -> Path:
    folder = test_data / "mavenfact" / "meantime_en"
    if not folder.is_dir():
        pytest.skip(f"MEANTIME data not found at {folder}")
    return folder


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide BERT built from a config (random weights), with MiniLM's tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from lmforge.mavenfact.encoder import default_encoder

    folder = tmp_path_factory.mktemp("tiny_encoder")
    tokenizer = AutoTokenizer.from_pretrained(str(default_encoder()))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def write_jsonl():
    """``write_jsonl(path, rows) -> path``."""

    def write(path: Path, rows: list[dict]) -> Path:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path

    return write

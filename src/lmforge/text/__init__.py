"""Language utilities shared by every system: counting, splitting, tokenising, retrieval.

Importing this package is cheap: nltk, bm25s and torch load on first use.
"""

from lmforge.text.count import (
    APPROX_TOKEN_PATTERN,
    count_cjk,
    count_tokens,
    count_words,
    detect_language,
    token_spans,
)
from lmforge.text.lang import detect_language_code, detect_language_or_none
from lmforge.text.overlap import bleu4, rouge_l, word_tokens
from lmforge.text.retrieve import (
    BM25Index,
    DenseIndex,
    Hit,
    Retriever,
    bm25_tokenize,
    embed,
    load_embedding_model,
)
from lmforge.text.split import (
    Chunk,
    Paragraph,
    Sentence,
    Span,
    chunk_by_sentences,
    chunk_by_tokens,
    split_paragraphs,
    split_sentences,
)
from lmforge.text.tokens import (
    punkt_sentences,
    punkt_sentences_abbrev,
    treebank_words,
    word_tokenize,
    word_tokenize_abbrev,
)

__all__ = [
    "bleu4",
    "rouge_l",
    "word_tokens",
    "APPROX_TOKEN_PATTERN",
    "BM25Index",
    "Chunk",
    "DenseIndex",
    "Hit",
    "Paragraph",
    "Retriever",
    "Sentence",
    "Span",
    "bm25_tokenize",
    "chunk_by_sentences",
    "chunk_by_tokens",
    "count_cjk",
    "count_tokens",
    "count_words",
    "detect_language",
    "detect_language_code",
    "detect_language_or_none",
    "embed",
    "load_embedding_model",
    "punkt_sentences",
    "punkt_sentences_abbrev",
    "split_paragraphs",
    "split_sentences",
    "token_spans",
    "treebank_words",
    "word_tokenize",
    "word_tokenize_abbrev",
]

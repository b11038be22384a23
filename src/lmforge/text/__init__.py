"""Language utilities shared by every system: counting, splitting, tokenising, retrieval.

Importing this package is cheap: names resolve on first use (PEP 562), so a command that only
counts words does not load numpy (retrieval), nltk (Punkt) or torch (dense embeddings).
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports

_EXPORTS = export_table(
    """
count: APPROX_TOKEN_PATTERN count_cjk count_tokens count_words detect_language token_spans
lang: detect_language_code detect_language_or_none
overlap: bleu4 rouge_l word_tokens
retrieve: BM25Index DenseIndex Hit Retriever bm25_tokenize embed load_embedding_model
split: Chunk Paragraph Sentence Span chunk_by_sentences chunk_by_tokens split_paragraphs
split: split_sentences
tokens: punkt_sentences punkt_sentences_abbrev punkt_spans treebank_words word_tokenize
tokens: word_tokenize_abbrev
"""
)

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

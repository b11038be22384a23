"""Corpora and tokenizers for the CPU-scale experiment, built offline in-project.

- :func:`synthetic_corpus`: a seeded toy language with a known generating process (every
  document draws a topic; words follow that topic's sparse Zipfian bigram chain), so the project
  ships a corpus with no licence question and tests can build one in milliseconds.
- :func:`word_tokenizer`: a word-level tokenizer (lower-cased, punctuation split off, ``<unk>``
  for the rest) trained on the corpus itself, saved like any transformers tokenizer so a teacher
  folder loads through ``hf:PATH``. No vocabulary is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["UNK", "EOS", "PAD", "synthetic_corpus", "word_tokenizer"]

UNK, EOS, PAD = "<unk>", "<eos>", "<pad>"


def synthetic_corpus(
    documents: int = 400, *, words: int = 600, topics: int = 6, length: int = 60, seed: int = 0
) -> list[str]:
    """``documents`` texts of about ``length`` words from a topic-mixed bigram language."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(words)]
    zipf = 1.0 / np.arange(1, words + 1) ** 1.1
    chains = []
    for _ in range(topics):
        order = rng.permutation(words)
        rows = np.zeros((words, words))
        for i in range(words):
            nxt = rng.choice(order[: words // 3], size=8, replace=False)
            rows[i, nxt] = zipf[:8] / zipf[:8].sum()
        chains.append(rows)
    texts = []
    for _ in range(documents):
        chain = chains[rng.integers(topics)]
        word = int(rng.integers(words))
        out = [vocab[word]]
        for _ in range(length - 1):
            word = int(rng.choice(words, p=chain[word]))
            out.append(vocab[word])
        texts.append(" ".join(out) + " .")
    return texts


def word_tokenizer(texts: Iterable[str], vocab_size: int) -> Any:
    """A word-level ``PreTrainedTokenizerFast`` (``<unk>`` id 0, ``<eos>`` 1, ``<pad>`` 2)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token=UNK))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(
        vocab_size=vocab_size, special_tokens=[UNK, EOS, PAD], show_progress=False
    )
    tok.train_from_iterator(list(texts), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token=UNK, eos_token=EOS, pad_token=PAD, model_max_length=4096
    )

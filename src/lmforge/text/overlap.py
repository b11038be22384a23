"""Word-overlap scores between two texts: ROUGE-L F1 and sentence BLEU-4.

Both work on lower-cased ``\\w+`` tokens. CRAB uses ROUGE-L to drop near-duplicate constraints;
the classroom uses both as the reference-based baselines LecEval compares against.
"""

from __future__ import annotations

import math
import re
from collections import Counter

__all__ = ["bleu4", "rouge_l", "word_tokens"]

_TOKEN = re.compile(r"\w+")


def word_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _lcs(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 (beta = 1): longest common word subsequence; 0.0 when either has no words.

    The official CRAB scripts call the ``rouge`` package, whose tokenisation differs slightly;
    scores agree on ordinary sentences.
    """
    a, b = word_tokens(candidate), word_tokens(reference)
    if not a or not b:
        return 0.0
    lcs = _lcs(a, b)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def bleu4(hypothesis: str, reference: str) -> float:
    """Sentence BLEU-4 (uniform weights, brevity penalty).

    Orders 2-4 use add-one smoothing (Lin and Och 2004; NLTK's ``method2``) so one missing
    4-gram does not zero a whole script; order 1 is unsmoothed. Equal to NLTK's
    ``sentence_bleu`` with ``SmoothingFunction().method2`` on the same tokens. 0.0 for an
    empty side.
    """
    hyp, ref = word_tokens(hypothesis), word_tokens(reference)
    if not hyp or not ref:
        return 0.0
    logs = []
    for n in range(1, 5):
        counts, ref_counts = _ngrams(hyp, n), _ngrams(ref, n)
        matched = sum(min(c, ref_counts[g]) for g, c in counts.items())
        total = max(len(hyp) - n + 1, 1)  # as NLTK: a too-short text has 0/1, not 0/0
        if n > 1:
            matched, total = matched + 1, total + 1
        if matched == 0:
            return 0.0
        logs.append(math.log(matched / total))
    brevity = 1.0 if len(hyp) > len(ref) else math.exp(1 - len(ref) / len(hyp))
    return brevity * math.exp(sum(logs) / 4)

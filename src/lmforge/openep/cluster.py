"""Grouping evidence snippets into perspectives (official ``hierarchical_tree.py``).

Snippets are embedded (the embedded MiniLM by default, or TF-IDF, which needs no model) and
clustered with KMeans. The number of clusters k is the argmin of a Gaussian mixture's BIC over
k = 1 .. min(MAX_CLUSTERS, n) - 1, floored at ``MIN_CLUSTERS`` (and never more than n), and
clustering runs only when there are more than ``MIN_CLUSTERS`` snippets; fewer snippets are
each their own group. scikit-learn is imported here only, on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

__all__ = ["MAX_CLUSTERS", "MIN_CLUSTERS", "choose_k", "cluster_snippets", "vectors"]

MIN_CLUSTERS = 6
"""Official ``min_clusters``: the floor on k, and the snippet count clustering needs to run."""
MAX_CLUSTERS = 20
"""Official upper end of the BIC search: k < min(20, n)."""
Embeddings = Literal["minilm", "tfidf"]
Covariance = Literal["diag", "full"]


def vectors(texts: Sequence[str], kind: Embeddings = "minilm") -> np.ndarray:
    """One row per snippet: MiniLM sentence embeddings, or L2-normalised TF-IDF (CPU, no model)."""
    if kind == "minilm":
        from lmforge.text import embed

        return embed(list(texts))
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit_transform(texts)
    return np.asarray(matrix.toarray(), dtype=np.float64)


def choose_k(points: np.ndarray, *, seed: int = 0, covariance: Covariance = "diag") -> int:
    """k by GMM BIC over 1 .. min(20, n) - 1, floored at 6 and capped at n.

    ``covariance``: "diag" (default) or "full" (the official scikit-learn default). With
    fewer snippets than embedding dimensions a full covariance is singular (held up only by
    ``reg_covar``) and its fits cost O(d^3) each: over 8 s for 15 snippets of 144 TF-IDF
    dimensions, minutes for 384-dimensional MiniLM vectors, for a k that the floor of 6
    overrides anyway in most cases. Diagonal fits take a fraction of a second.
    """
    from sklearn.mixture import GaussianMixture

    n = len(points)
    best_k, best_bic = 1, np.inf
    for k in range(1, min(MAX_CLUSTERS, n)):
        gmm = GaussianMixture(n_components=k, covariance_type=covariance, random_state=seed)
        bic = gmm.fit(points).bic(points)
        if bic < best_bic:
            best_k, best_bic = k, bic
    return min(max(best_k, MIN_CLUSTERS), n)


def cluster_snippets(
    snippets: Sequence[str],
    *,
    embeddings: Embeddings = "minilm",
    covariance: Covariance = "diag",
    seed: int = 0,
) -> list[list[str]]:
    """Groups of snippets (each group in input order, groups by first member)."""
    unique = list(dict.fromkeys(s for s in snippets if s.strip()))
    if len(unique) <= MIN_CLUSTERS:
        return [[s] for s in unique]
    from sklearn.cluster import KMeans

    points = vectors(unique, embeddings)
    k = choose_k(points, seed=seed, covariance=covariance)
    labels: Any = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(points)
    groups: dict[int, list[str]] = {}
    for label, snippet in zip(labels, unique, strict=True):
        groups.setdefault(int(label), []).append(snippet)
    return list(groups.values())

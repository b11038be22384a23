"""The settings of a prediction run (StkFEP, RAG, direct): limits, windows and budgets, each
with the official value and why it is what it is."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lmforge.llm.types import GenerateConfig

__all__ = ["GENERATION", "Method", "PredictSettings"]

Method = Literal["stkfep", "rag", "direct"]
GENERATION = GenerateConfig(max_tokens=512, temperature=0.2)
"""Official sampling: temperature 0.2 (gpt-3.5-turbo-16k / glm-4)."""


class PredictSettings(BaseModel):
    """How questions are predicted; every field can be set with ``--set settings.FIELD=``."""

    model_config = ConfigDict(use_attribute_docstrings=True)
    method: Method = "stkfep"
    """stkfep: stakeholder-enhanced (the paper); rag: retrieval without stakeholders; direct:
    background only, no retrieval (``lmforge openep predict`` sets it from ``--method``)."""
    retrieval: Literal["hybrid", "bm25", "dense"] = "hybrid"
    """How the local corpus is searched: BM25 + MiniLM fused, or either alone."""
    official_format: bool = False
    """Ask for the official free-text formats (``q1#q2``, ``s1#s2@@r1#r2``) instead of JSON
    under a schema (small models follow a schema far more reliably)."""
    queries: int = Field(5, ge=1)
    """Refined, diversity and similar-event queries written per step (official: 5)."""
    k_question: int = Field(10, ge=1)
    """Results of the original question in background retrieval (official: 10)."""
    k_query: int = Field(5, ge=1)
    """Results per written query (official: 5)."""
    window_days: int = Field(180, ge=1)
    """Background and diversity searches look back this many days (official: 180)."""
    relevant_since: str = "2020-01-01"
    """First day of the original question's relevant-event search (official)."""
    max_background: int = Field(5, ge=0)
    """Background articles kept after the relevance filter."""
    stakeholder_articles: int = Field(5, ge=1)
    """Articles (the topic background first) that stakeholders are extracted from."""
    similar_since: str = "2000-01-01"
    """First day of the similar-event search (official ``date_similar_event``)."""
    similar_until: str | None = None
    """Last day of the similar-event search (official: 2024-01-01); None: only the gap applies."""
    similar_gap_days: int = Field(150, ge=0)
    """A similar event must be published this many days before the question (official: 150)."""
    similar_candidates: int = Field(5, ge=1)
    """Similar-event articles rated 1-3 (one call each)."""
    top_k_sim: int = Field(1, ge=1)
    """Best-rated similar events followed up (official: 1)."""
    relevant_tokens: int = Field(5000, ge=100)
    """Token budget of the relevant news given to snippet extraction (official: 5k)."""
    similar_tokens: int = Field(4000, ge=100)
    """Token budget of the similar-event news given to snippet extraction (official: 4k)."""
    embeddings: Literal["minilm", "tfidf"] = "minilm"
    """Snippet vectors for clustering (official: SentenceTransformers; tfidf needs no model)."""
    covariance: Literal["diag", "full"] = "diag"
    """GMM covariance in the BIC search for k (see ``cluster.choose_k``; official: full)."""
    summary_tokens: int = Field(400, ge=16)
    """Most tokens of one cluster summary (official prompt: at most 1000 words)."""
    rag_k: int = Field(5, ge=1)
    """Articles the RAG baseline retrieves for the question."""
    attempts: int = Field(3, ge=1)
    """Asks per reply before a step is counted as failed."""
    generation: GenerateConfig = Field(default_factory=lambda: GENERATION)
    """Sampling of every call (``--max-tokens``, ``--temperature``, ``--seed``)."""

"""Supporting evidence: the cue words that justify a non-factual label, tagged and scored.

MAVEN-Fact marks, for CT-, PS+ and PS- mentions, the words that make them so ("did not",
"may", "in order to", "neither ... nor"). The official task (``trainSW/``) is BIO tagging over
the mention's sentence: B for the first evidence token and for any token not adjacent to the
previous one, I for an adjacent continuation; scored with seqeval's span-level micro P/R/F1
(a predicted span counts only when its start and end both match a gold span).

The subset (``evidence_subset``) keeps CT-/PS+/PS- mentions with evidence inside their own
sentence, as ``preprocess/evidence_subset.py`` does; that script writes the test subset over
``evidence_valid.jsonl`` (spec 2.5), which does not arise here: subsets are returned, not
written under fixed names.

Taggers: ``cues`` (the cue lexicons of :mod:`.baselines`, within ``WINDOW`` tokens before the
trigger, tagged B/I), and ``llm:SPEC``, which asks the model for the cue words as a JSON list
under a schema and maps each word back to its first unused position in the sentence (the
official LLM variant asks for a Python list of tags, one per token, which small models cannot
keep aligned; the schema'd word list is the robust equivalent). MEANTIME has no evidence
annotation: these figures need MAVEN-Fact files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.ask import ask_result
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.runner import Stage, StageContext

from .baselines import NEGATION, POSSIBILITY, WINDOW
from .labels import NON_FACTUAL

__all__ = [
    "CUE_PHRASES",
    "bio_tags",
    "cue_positions",
    "evidence_subset",
    "evidence_stage",
    "span_scores",
    "spans",
]

CUE_PHRASES = NEGATION | POSSIBILITY | frozenset({"to", "order", "in", "unclear", "whether"})
"""Single-token cues the rule tagger marks (phrases come out as adjacent B-I runs)."""


def bio_tags(size: int, positions: Sequence[int]) -> list[str]:
    """The official tags of a sentence of ``size`` tokens whose evidence is at ``positions``:
    B for the first and every non-adjacent evidence token, I for adjacent continuations."""
    tags = ["O"] * size
    chosen = sorted(set(positions))
    for k, pos in enumerate(chosen):
        tags[pos] = "I" if k and chosen[k - 1] == pos - 1 else "B"
    return tags


def spans(tags: Sequence[str]) -> set[tuple[int, int]]:
    """(start, end) token spans of a B/I/O sequence; a stray I opens a span (seqeval's rule)."""
    found, start = set(), None
    for i, tag in enumerate([*tags, "O"]):
        if tag == "B" or tag == "O" or (tag == "I" and start is None):
            if start is not None:
                found.add((start, i))
                start = None
            if tag in ("B", "I"):
                start = i
    return found


def span_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict:
    """Span-level micro precision, recall and F1 over sentences (seqeval's definition)."""
    tp = fp = fn = 0
    for g, p in zip(gold, predicted, strict=True):
        gs, ps = spans(g), spans(p)
        tp, fp, fn = tp + len(gs & ps), fp + len(ps - gs), fn + len(gs - ps)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "gold_spans": tp + fn,
            "predicted_spans": tp + fp}  # fmt: skip


def evidence_subset(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """CT-/PS+/PS- mention rows whose evidence lies in their own sentence, with ``gold_tags``."""
    out = []
    for row in rows:
        offsets = row.get("evidence_offset") or []
        if row.get("label") not in NON_FACTUAL or not offsets or "tokens" not in row:
            continue
        if any(sent != row["sent_id"] for sent, _ in offsets):
            continue
        tags = bio_tags(len(row["tokens"]), [tok for _, tok in offsets])
        out.append({**row, "gold_tags": tags})
    return out


def cue_positions(tokens: Sequence[str], start: int) -> list[int]:
    """Token positions of cue words among the ``WINDOW`` tokens before ``start``."""
    low = max(0, start - WINDOW)
    return [i for i in range(low, start) if tokens[i].lower() in CUE_PHRASES]


def _word_positions(tokens: Sequence[str], words: Sequence[str], trigger: int) -> list[int]:
    """Positions of the cue phrases in the sentence: each phrase as a run of tokens, at the
    occurrence nearest the trigger (a sentence often has two "not"s); a phrase not found
    as a run is placed word by word, each word nearest the trigger."""
    low = [t.lower() for t in tokens]
    chosen: set[int] = set()

    def nearest(starts: list[int]) -> int | None:
        return min(starts, key=lambda i: abs(trigger - i)) if starts else None

    for cue in words:
        parts = str(cue).lower().split()
        if not parts:
            continue
        n = len(parts)
        start = nearest([i for i in range(len(low) - n + 1) if low[i : i + n] == parts])
        if start is not None:
            chosen.update(range(start, start + n))
            continue
        for part in parts:
            hit = nearest([i for i, t in enumerate(low) if t == part])
            if hit is not None:
                chosen.add(hit)
    chosen.discard(trigger)
    return sorted(chosen)


class EvidenceOptions(BaseModel):
    """How the LLM evidence tagger asks."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    generation: GenerateConfig = Field(
        default_factory=lambda: GenerateConfig(max_tokens=48, temperature=0.0)
    )
    """Sampling of the cue-word replies."""


SCHEMA = {"type": "object", "properties": {"cues": {"type": "array", "maxItems": 6,
          "items": {"type": "string", "maxLength": 30}}}, "required": ["cues"],
          "additionalProperties": False}  # fmt: skip


def _parse_cues(text: str) -> list[str]:
    start, end = text.find("{"), text.rfind("}")
    value = json.loads(text[start : end + 1]) if 0 <= start < end else None
    if not isinstance(value, dict) or not isinstance(value.get("cues"), list):
        raise ValueError("no cue list in the reply")
    return [str(c) for c in value["cues"]]


def evidence_stage(opts: EvidenceOptions | None = None) -> Stage:
    """A runner stage: mention row (with ``tokens``) -> ``tags`` from the model's cue words; a
    reply without a list after the re-asks tags nothing and is counted (``_meta.fallback``)."""
    opts = opts or EvidenceOptions()
    prompt = load_prompt("lmforge.mavenfact", "evidence")

    async def tag(row: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        config = ctx.config.model_copy(update={"json_schema": SCHEMA})
        result = await ask_result(ctx, prompt.messages(text=row["text"], label=row["label"]),
                                  _parse_cues, config=config)  # fmt: skip
        if result.exception is not None:
            raise result.exception
        words = result.value if result.ok else []
        positions = _word_positions(row["tokens"], words, row["offset"][0])
        tags = bio_tags(len(row["tokens"]), positions)
        meta = {"raw": result.raw, **({} if result.ok else {"fallback": result.error})}
        return {"id": row["id"], "tags": tags, "cues": words, "_meta": meta}

    return Stage("evidence", tag, prompts=[prompt], config=opts.generation)

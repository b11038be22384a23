"""``lmforge mavenfact annotate TEXT_FILE``: mark events in free text and label their factuality.

The paper's application: in generated text, an event stated as possible or negated but read
as a fact is an event-related hallucination; marking each event with its factuality shows
which statements the text does not commit to. Sentences come from the shared splitter
(``lmforge.text.split_sentences``). Triggers (``--triggers``):

- ``heuristic`` (default; no tagger ships offline): a word after a modal, auxiliary, negation
  or "to" (``may begin``, ``did not confirm``, ``to close``), a word with a verb ending (-ed,
  -ing), a nominal event ending (-tion, -ment, -ance, -ence, -ure, -al), or a common event
  verb. It over- and under-marks;
- ``llm`` (the model of ``--classifier llm:SPEC``, else the default model) or ``llm:SPEC``:
  the model names the event words with their token numbers, every item checked against the
  sentence, re-asked, and what still fails dropped and counted (:mod:`.triggers`); a sentence
  the model gives nothing usable for has no events (counted), never the heuristic's.

``--classifier`` then labels each trigger like ``predict`` (cues by default, an encoder folder,
or ``llm:SPEC``). Prints each sentence with its events as ``[word|LABEL]`` and the count of
non-CT+ events; ``--output`` writes one JSONL row per event.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from lmforge.errors import InputError
from lmforge.inputs import TextPath, read_document
from lmforge.llm.base import LLM
from lmforge.pipeline.jobs import Job, JobConfig

from .data import mark
from .llm_classifier import LLMClassifierOptions
from .prediction import label_mentions, open_job
from .triggers import TriggerOptions, trigger_stage
from .wordlists import BEFORE, EVENT_VERBS, FUNCTION_WORDS, NOT_EVENT_NOUNS, SUFFIXES

__all__ = ["AnnotateConfig", "annotate", "candidate_triggers", "show_annotate", "tokenize"]

STOP = FUNCTION_WORDS | NOT_EVENT_NOUNS

MAX_BYTES = 1 << 20


def tokenize(sentence: str) -> list[str]:
    """Words (with inner apostrophes and hyphens) and single punctuation marks; "n't" apart."""
    spaced = re.sub(r"(\w)n't\b", r"\1 n't", sentence)
    return re.findall(r"n't|\w+(?:[-']\w+)*|[^\w\s]", spaced)


def candidate_triggers(tokens: list[str]) -> list[int]:
    """Token positions the heuristic takes as event triggers (see the module docstring)."""
    out = []
    for i, tok in enumerate(tokens):
        low = tok.lower()
        if not tok.isalpha() or low in STOP or len(low) < 3:
            continue
        after_cue = i > 0 and tokens[i - 1].lower() in BEFORE
        ending = len(low) > 4 and low.endswith(SUFFIXES)
        if after_cue or ending or low in EVENT_VERBS:
            out.append(i)
    return out


class AnnotateConfig(JobConfig):
    """Mark events in a text file and label their factuality."""

    uses_model: ClassVar[bool] = False
    cli_hidden: ClassVar[tuple[str, ...]] = ("model", "shard")

    text_file: TextPath
    """A UTF-8 text file (e.g. a model's generated answer)."""
    classifier: str = "cues"
    """cues, majority, a folder from `mavenfact train`, or llm:SPEC."""
    triggers: str = "heuristic"
    """heuristic, llm (the --classifier model, else the default model) or llm:SPEC."""
    output: Path | None = None
    """JSONL with one row per event (default: final.jsonl in the run directory)."""
    batch_size: int = Field(32, ge=1)
    """Mentions per encoder forward pass."""
    llm: LLMClassifierOptions = Field(default_factory=LLMClassifierOptions)
    """Options of the LLM classifier (llm:SPEC only)."""
    trigger_llm: TriggerOptions = Field(default_factory=TriggerOptions)
    """Options of the LLM trigger detector (--triggers llm only)."""


def _trigger_spec(cfg: AnnotateConfig) -> str | None:
    """None for the heuristic, else the trigger model's spec ("" = the default model)."""
    if cfg.triggers == "heuristic":
        return None
    if cfg.triggers == "llm":
        return cfg.classifier[4:] if cfg.classifier.startswith("llm:") else ""
    if cfg.triggers.startswith("llm:") and cfg.triggers[4:]:
        return cfg.triggers[4:]
    raise InputError("expected heuristic, llm or llm:SPEC", field="triggers")


def _trigger_llm(cfg: AnnotateConfig, spec: str | None) -> LLM | None:
    """The trigger model, built before the run folder exists; None when there is none or when
    it is the classifier's (the run's own model, built once)."""
    if spec is None or (cfg.classifier.startswith("llm:") and spec == cfg.classifier[4:]):
        return None
    from lmforge.llm.registry import get_llm

    return get_llm(spec or None)


def _llm_triggers(
    job: Job, cfg: AnnotateConfig, sentences: list[list[str]], llm: LLM
) -> tuple[dict[int, list[int]], dict[str, int]]:
    """Trigger positions per sentence from the model (a resumable stage of the run), and the
    counts of what was dropped."""
    records = [{"id": f"s{s}", "sent_id": s, "tokens": toks} for s, toks in enumerate(sentences)]
    # the same run folder, answered by the trigger model (which may not be the classifier's)
    stage_job = Job(job.what, cfg, out=job.dir, quiet=job.quiet, llm=llm)
    asyncio.run(stage_job.run([trigger_stage(cfg.trigger_llm)], records, file="triggers.jsonl"))
    job.summaries.extend(stage_job.summaries)
    rows = stage_job.rows()
    found = {r["sent_id"]: r["triggers"] for r in rows}
    rejected = sum(len((r.get("_meta") or {}).get("rejected", ())) for r in rows)
    counts = {"sentences_without_triggers_reply": len(sentences) - len(found),
              "triggers_rejected": rejected}  # fmt: skip
    return found, counts


def _mentions(sentences: list[list[str]], positions: dict[int, list[int]]) -> list[dict[str, Any]]:
    rows = []
    for s, tokens in enumerate(sentences):
        for i in positions.get(s, ()):
            rid = f"s{s}-t{i}"
            rows.append({"id": rid, "mention_id": rid, "doc_id": None, "sent_id": s,
                         "offset": [i, i + 1], "trigger_word": tokens[i],
                         "text": mark(tokens, i, i + 1)})  # fmt: skip
    return rows


def annotate(cfg: AnnotateConfig, *, out: Path | None = None, quiet: bool = False) -> dict:
    """Mark events in the text and label each; returns the marked sentences and counts."""
    text = read_document(cfg.text_file, what="text file")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise InputError(f"larger than {MAX_BYTES} bytes", path=cfg.text_file)
    from lmforge.text import split_sentences

    spec = _trigger_spec(cfg)
    trigger_llm = _trigger_llm(cfg, spec)
    sentences = [tokenize(s.text) for s in split_sentences(text)]
    job = open_job("mavenfact-annotate", cfg, cfg.classifier, out=out, quiet=quiet)
    counts: dict[str, int] = {}
    if spec is None:
        positions = {s: candidate_triggers(toks) for s, toks in enumerate(sentences)}
    else:
        llm = trigger_llm or job.llm
        assert llm is not None  # the classifier's model when it is not a model of its own
        positions, counts = _llm_triggers(job, cfg, sentences, llm)
    rows = _mentions(sentences, positions)
    labelled = label_mentions(job, cfg.classifier, rows, batch_size=cfg.batch_size, llm=cfg.llm)
    by_id = {r["id"]: r["label"] for r in labelled}
    events = [{**{k: r[k] for k in ("id", "sent_id", "offset", "trigger_word", "text")},
               "label": by_id[r["id"]]} for r in rows if r["id"] in by_id]  # fmt: skip
    marked = []
    for s, tokens in enumerate(sentences):
        shown = list(tokens)
        for e in events:
            if e["sent_id"] == s:
                shown[e["offset"][0]] = f"[{e['trigger_word']}|{e['label']}]"
        marked.append(" ".join(shown))
    flagged = sum(e["label"] != "CT+" for e in events)
    job.finish(rows=events, output=cfg.output,
               counts={"events": len(events), "not_ct+": flagged, **counts})  # fmt: skip
    return {"sentences": marked, "events": len(events), "not_certain_fact": flagged, **counts}


def show_annotate(result: dict[str, Any]) -> list[str]:
    """The marked sentences, then ``events:`` and ``not_certain_fact:``."""
    extra = [f"{k}: {result[k]}" for k in ("sentences_without_triggers_reply",
             "triggers_rejected") if k in result]  # fmt: skip
    return [*result["sentences"], f"events: {result['events']}",
            f"not_certain_fact: {result['not_certain_fact']}", *extra]  # fmt: skip

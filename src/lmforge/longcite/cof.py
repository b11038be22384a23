"""CoF (Coarse to Fine): LongCite-45k-style citation SFT data from your documents and model.

Four runner stages (resumable, cached, failures counted), as the official ``CoF/`` scripts:

1. ``qa``: a question of a drawn type and language (Self-Instruct: 5 asked, one kept), then a
   plain long-context answer to it (answer first, cite after, so citing cannot hurt it);
2. ``chunk_cite``: each answer sentence retrieves ``k = min(10, ceil(40 / n))`` 128-token
   chunks (BM25 or the embedded MiniLM, ``retriever``); the model marks which snippets each
   statement uses;
3. ``sentence_cite``: each cited chunk widened to ``[c-1, c+2)``; the model picks the exact
   sentence ranges inside the merged windows;
4. ``postprocess``: local ranges to global sentence numbers (clipped, at most 3), the answer
   re-serialised, the 20% filter (a ``Drop`` with its reason), and the SFT row: TRL
   ``messages`` (user: the LongCite SFT prompt with the numbered document; assistant: the
   cited answer).

Replies are JSON under a schema by default (``structured``): the chunk step then cites the
answer's own numbered sentences, so the answer text cannot be changed by the citer; the
official free-text formats are behind ``structured=False``. Deterministic parts live in
:mod:`~lmforge.longcite.cof_steps`.
"""

from __future__ import annotations

import asyncio
import json
import random
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lmforge.errors import ParseError
from lmforge.inputs import JsonlPath
from lmforge.llm.types import GenerateConfig, Request
from lmforge.pipeline.ask import ask_many, ask_result
from lmforge.pipeline.drops import Drop
from lmforge.pipeline.jobs import Job, JobConfig
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.records import check_rows, record_id
from lmforge.pipeline.runner import Stage, StageContext
from lmforge.text import chunk_by_tokens, detect_language, split_sentences

from . import cof_steps as steps
from .answer import input_budget, lqac_prompt, read_cited_reply, truncate_middle
from .numbering import NumberedContext, number_context

__all__ = ["CofConfig", "CofRow", "cof_stages", "run_cof"]

Retriever = Literal["bm25", "dense"]
ATTEMPTS = 3


class CofRow(BaseModel):
    """An input document."""

    model_config = ConfigDict(extra="allow")
    context: str


class CofConfig(JobConfig):
    """One CoF run (written to the run directory as config.yaml)."""

    input: JsonlPath
    """JSONL of documents: ``context`` (required), optional ``idx``/``id``."""
    output: Path | None = None
    """Where the SFT rows go (default: final.jsonl in the run directory)."""
    retriever: Retriever = "bm25"
    """Chunk retrieval: bm25, or dense (the embedded MiniLM; official: Zhipu embedding-2)."""
    chunk_tokens: int = Field(128, ge=8)
    """Tokens per chunk (official: 128 GLM-4 tokens; here lmforge's approximate tokens)."""
    chunk_budget: int = Field(40, ge=1)
    """Chunks retrieved in all: k = min(per_sentence, ceil(budget / answer sentences))."""
    per_sentence: int = Field(10, ge=1)
    """Most chunks retrieved per answer sentence (official: 10)."""
    official_question_types: bool = False
    """The official question-type bug: type (a) "summarise several parts" is never drawn (50%
    multi-hop, 25% generic, 25% information-seeking); default: the four types uniformly."""
    zh_question_share: float = Field(0.5, ge=0, le=1)
    """Share of English documents that get a Chinese question (official: 0.5)."""
    structured: bool = True
    """JSON-schema replies (default); off: the official free-text formats."""
    max_input_tokens: int | None = Field(None, ge=64)
    """Prompt budget before middle truncation (default: the model's window, or 128,000)."""
    min_cited_share: float = Field(0.2, ge=0, le=1)
    """Filter: an answer of >= 5 statements needs at least this share cited (official 0.2)."""
    seed: int = 0
    """Seeds the type, language and question draws (per document)."""
    generation: GenerateConfig = Field(
        default_factory=lambda: GenerateConfig(max_tokens=2048, temperature=1.0)
    )
    """Questions, answers, chunk citations (official: temperature 1, 2,048 tokens)."""
    extract_max_tokens: int = Field(128, ge=8)
    """New tokens of the sentence-level extraction (official: 128)."""


def _prompt(name: str) -> Any:
    return load_prompt("lmforge.longcite", name)


def _json(text: str, key: str) -> Any:
    start, end = text.find("{"), text.rfind("}")
    try:
        value = json.loads(text[start : end + 1]) if start != -1 else None
    except ValueError:
        value = None
    if not isinstance(value, dict) or key not in value:
        raise ParseError(f"no JSON object with {key!r}", text)
    return value[key]


def _sized(cfg: CofConfig, ctx: StageContext, text: str, new_tokens: int) -> str:
    budget = input_budget(getattr(ctx, "spec", ""), new_tokens, cfg.max_input_tokens)
    return truncate_middle(text, budget)[0]


def _read_questions(structured: bool):
    def read(text: str) -> list[str]:
        if structured:
            found = _json(text, "questions")
            questions = [q.strip() for q in found if isinstance(q, str) and q.strip()]
        else:
            questions = steps.parse_numbered_questions(text)
        if not questions:
            raise ParseError("no questions", text)
        return questions

    return read


def _nonempty(text: str) -> str:
    if not text.strip():
        raise ParseError("empty answer", text)
    return text.strip()


async def _qa(row: dict[str, Any], ctx: StageContext, cfg: CofConfig) -> dict[str, Any] | Drop:
    rng = random.Random(f"{cfg.seed}:{record_id(row)}")
    kind = steps.draw_question_type(rng, official_bug=cfg.official_question_types)
    doc_language = detect_language(row["context"])
    language = steps.draw_language(doc_language, rng, cfg.zh_question_share)
    gen = cfg.generation
    schema = {"type": "object", "required": ["questions"], "properties": {
        "questions": {"type": "array", "items": {"type": "string"}, "minItems": 1}}}  # fmt: skip
    ask_cfg = gen.model_copy(update={"json_schema": schema}) if cfg.structured else gen
    context = _sized(cfg, ctx, row["context"], gen.max_tokens)
    messages = _prompt("cof_questions").messages(
        context=context, kind=kind, language=language, structured=cfg.structured
    )
    got = await ask_result(ctx, messages, _read_questions(cfg.structured), config=ask_cfg,
                           attempts=ATTEMPTS)  # fmt: skip
    if not got.ok:
        return Drop(f"questions unreadable: {got.error}", raw=got.raw)
    question = rng.choice(got.value)
    answer_messages = _prompt("cof_answer").messages(context=context, question=question)
    answer = await ask_result(ctx, answer_messages, _nonempty, config=gen, attempts=ATTEMPTS)
    if not answer.ok:
        return Drop(f"no answer: {answer.error}", raw=answer.raw)
    return {**row, "query": question, "answer": answer.value, "question_type": kind,
            "language": doc_language, "question_language": language}  # fmt: skip


@lru_cache(maxsize=8)
def _document(text: str, chunk_tokens: int) -> tuple[NumberedContext, tuple]:
    """Numbered sentences and chunks of a document, once per process (stages share them)."""
    return number_context(text), tuple(chunk_by_tokens(text, chunk_tokens))


def _index(chunks: tuple, retriever: Retriever):
    from lmforge.text import BM25Index, DenseIndex

    texts = [c.text for c in chunks]
    return BM25Index(texts) if retriever == "bm25" else DenseIndex(texts)


def _structured_statements(answer: str, sentences: list, shown: list) -> Any:
    """A reader of ``{"citations": [{"sentence": i, "snippets": [j]}]}`` that rebuilds the
    statements from the answer's own sentences (the gaps between them as free text)."""

    def read(text: str) -> list[dict[str, Any]]:
        marks: dict[int, list[int]] = {}
        for item in _json(text, "citations"):
            if isinstance(item, dict) and isinstance(item.get("sentence"), int):
                ids = [j for j in item.get("snippets") or [] if isinstance(j, int)]
                valid = [j for j in ids if 1 <= j <= len(shown)]
                marks[item["sentence"]] = list(dict.fromkeys(valid))[: steps.MAX_CHUNK_CITES]
        if not marks:
            raise ParseError("no sentence citations", text)
        out, pos = [], 0
        for i, sentence in enumerate(sentences):
            if sentence.start > pos:
                out.append({"statement": answer[pos : sentence.start], "chunks": None})
            chunk_ids = [shown[j - 1].index for j in marks.get(i, [])]
            out.append({"statement": sentence.text, "chunks": chunk_ids})
            pos = sentence.end
        if pos < len(answer):
            out.append({"statement": answer[pos:], "chunks": None})
        return out

    return read


def _free_statements(shown: list):
    def read(text: str) -> list[dict[str, Any]]:
        statements = steps.parse_chunk_citations(read_cited_reply(text), shown)
        if not any(s["chunks"] is not None for s in statements):
            raise ParseError("no <statement> in the reply", text)
        return statements

    return read


async def _chunk_cite(row: dict[str, Any], ctx: StageContext, cfg: CofConfig) -> Any:
    _, chunks = _document(row["context"], cfg.chunk_tokens)
    sentences = split_sentences(row["answer"])
    if not sentences:
        return Drop("answer has no sentences")
    k = steps.retrieval_k(len(sentences), cfg.chunk_budget, cfg.per_sentence)
    index = _index(chunks, cfg.retriever)
    hits = [[h.index for h in index.search(s.text, k)] for s in sentences]
    shown = steps.cited_chunks(hits, chunks)
    prompt = _prompt("cof_chunk_cite").messages(
        snippets=steps.snippet_block(shown), question=row["query"], answer=row["answer"],
        sentences=[s.text for s in sentences], structured=cfg.structured,
    )  # fmt: skip
    if cfg.structured:
        read = _structured_statements(row["answer"], sentences, shown)
        config = cfg.generation.model_copy(update={"json_schema": _CITATIONS_SCHEMA})
    else:
        read, config = _free_statements(shown), cfg.generation
    got = await ask_result(ctx, prompt, read, config=config, attempts=ATTEMPTS)
    if not got.ok:
        return Drop(f"chunk citations unreadable: {got.error}", raw=got.raw)
    return {**row, "statements": got.value, "retrieval_k": k, "snippets": len(shown)}


_INTS = {"type": "array", "items": {"type": "integer"}}
_CITATIONS_SCHEMA = {
    "type": "object",
    "required": ["citations"],
    "properties": {
        "citations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sentence", "snippets"],
                "properties": {"sentence": {"type": "integer"}, "snippets": _INTS},
            },
        }
    },
}
_SPAN = {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "integer", "minimum": 0}}
_SPANS_SCHEMA = {
    "type": "object",
    "required": ["spans"],
    "properties": {"spans": {"type": "array", "maxItems": 3, "items": _SPAN}},
}


def _read_spans(structured: bool):
    def read(text: str) -> str:
        if not structured:
            if "[" not in text and "no relevant information" not in text.lower():
                raise ParseError("no [s-e] range and no 'No relevant information'", text)
            return text
        spans = _json(text, "spans")
        return "".join(f"[{s[0]}-{s[1]}]" for s in spans if isinstance(s, list) and len(s) == 2)

    return read


async def _sentence_cite(row: dict[str, Any], ctx: StageContext, cfg: CofConfig) -> Any:
    numbered, chunks = _document(row["context"], cfg.chunk_tokens)
    statements = [dict(s) for s in row["statements"]]
    todo, requests = [], []
    config = cfg.generation.model_copy(update={"max_tokens": cfg.extract_max_tokens})
    if cfg.structured:
        config = config.model_copy(update={"json_schema": _SPANS_SCHEMA})
    for st in statements:
        if not st.get("chunks"):
            continue
        windows = steps.expand_windows(sorted(st["chunks"]), chunks)
        passage, local = steps.window_passage(windows, numbered.sentences, numbered.text)
        st["chunk_sents"] = local
        prompt = _prompt("cof_sentence_cite").messages(
            passage=passage, statement=st["statement"], structured=cfg.structured
        )
        todo.append(st)
        requests.append(Request(messages=prompt, config=config))
    results = await ask_many(ctx, requests, _read_spans(cfg.structured), attempts=ATTEMPTS)
    failures = 0
    for st, got in zip(todo, results, strict=True):
        st["citation"] = got.value if got.ok else None
        failures += not got.ok
    return {**row, "statements": statements, "extract_failures": failures}


async def _postprocess(row: dict[str, Any], ctx: StageContext, cfg: CofConfig) -> Any:
    numbered, _ = _document(row["context"], cfg.chunk_tokens)
    final = []
    for st in row["statements"]:
        if st.get("chunks") is None:
            final.append({"statement": st["statement"], "spans": None})
            continue
        raw = st.get("citation") or ""
        final.append({"statement": st["statement"],
                      "spans": steps.global_spans(raw, st.get("chunk_sents") or [])})  # fmt: skip
    answer, pieces = steps.cited_answer(final, numbered)
    statements = [p for p in pieces if p.citation is not None]
    stats = {"n_statements": len(statements), "n_cited": sum(bool(p.citation) for p in pieces)}
    reason = steps.filter_reason(pieces, cfg.min_cited_share)
    if reason is not None:
        return Drop(reason, **stats)
    messages = [
        {"role": "user", "content": lqac_prompt(numbered, row["query"])},
        {"role": "assistant", "content": answer},
    ]
    keep = {k: row[k] for k in ("id", "idx") if k in row}
    return {**keep, "messages": messages, "query": row["query"],
            "question_type": row["question_type"], "language": row["language"],
            "statements": [p.as_dict() for p in statements], **stats}  # fmt: skip


def cof_stages(cfg: CofConfig) -> list[Stage]:
    """The four stages, each with the prompts and options its output depends on."""
    params = cfg.model_dump(mode="json", exclude={"input", "output", "concurrency", "limit",
                                                  "shard", "model"})  # fmt: skip

    def bind(fn):
        async def stage(row: dict[str, Any], ctx: StageContext) -> Any:
            return await fn(row, ctx, cfg)

        return stage

    prompts = {"qa": ["cof_questions", "cof_answer"], "chunk_cite": ["cof_chunk_cite"],
               "sentence_cite": ["cof_sentence_cite"], "postprocess": ["lqac_sft"]}  # fmt: skip
    fns = {"qa": _qa, "chunk_cite": _chunk_cite, "sentence_cite": _sentence_cite,
           "postprocess": _postprocess}  # fmt: skip
    return [
        Stage(name, bind(fn), "1", [_prompt(p) for p in prompts[name]], params, cfg.generation)
        for name, fn in fns.items()
    ]


def _statistics(rows: list[dict[str, Any]], summaries: list) -> dict[str, Any]:
    """Filter statistics for the summary: kept, dropped by reason, statements, cited share."""
    n_statements = sum(r.get("n_statements", 0) for r in rows)
    n_cited = sum(r.get("n_cited", 0) for r in rows)
    dropped: dict[str, int] = {}
    for s in summaries:
        for reason, count in (s.drops or {}).items():
            dropped[f"{s.stage}: {reason}"] = dropped.get(f"{s.stage}: {reason}", 0) + count
    return {
        "kept": len(rows),
        "dropped": sum(dropped.values()),
        "drop_reasons": dropped,
        "statements": n_statements,
        "cited_statements": n_cited,
        "cited_share": n_cited / n_statements if n_statements else None,
    }


def run_cof(cfg: CofConfig, *, out: Path | None = None, quiet: bool = False) -> dict[str, Any]:
    """Run CoF over ``--input`` documents; SFT rows (TRL ``messages``) to ``--output``."""
    check_rows(cfg.input, CofRow)  # before any run folder or model
    job = Job("longcite-cof", cfg, out=out, quiet=quiet)
    summaries = asyncio.run(job.run(cof_stages(cfg), cfg.input))
    rows = job.rows()
    stats = _statistics(rows, summaries)
    summary = job.finish(rows=rows, output=cfg.output, counts={"filter": stats})
    return {**{k: v for k, v in stats.items() if k != "drop_reasons"},
            **{f"dropped ({k})": v for k, v in stats["drop_reasons"].items()},
            "failed": summary.get("failed", 0), "output": summary.get("output")}  # fmt: skip

"""Constraint back-translation (spec A2 stages 1.1-1.7): write down what a response already does.

Three stages over (instruction, response) pairs, each resumable through the shared runner:

1. ``write``: refine the instruction (P1), global constraints (P2), local constraints (P3), and
   the Python constraints computed from the response itself;
2. ``verify``: every LLM-written constraint is checked against the response (P4) and kept,
   rewritten or deleted;
3. ``dedupe``: ROUGE-L near-duplicates removed, overlap with the refined instruction counted.

The result rows have the official stage-6 shape (``Aug_instruction`` with ``Refined_Instruction``
and ``Additional_Instruction``), which is what ``lmforge crab compose`` reads. An item left with no
LLM-written constraint is dropped (a ``Drop``), as in the official pipeline: it leaves the output,
is listed in ``dedupe-*/records.dropped.jsonl`` and counted in the summary, and is not retried.

The refine reply goes through the shared garbage guards (``pipeline.ask``): an empty reply, or one
that repeats the refine prompt's own rules (what a 0.5B model does) instead of rewriting the
instruction, is asked again, and still rejected it drops the item at ``write`` with the reason
(``refine: echoed the prompt``): the pair is fine, the model is not. Constraint replies of which
neither parses stay an error row (retried on the next run).

The run directory (a :class:`~lmforge.pipeline.jobs.Job`): ``config.yaml``, one signature
folder per stage, the kept items once (``--output``, else ``final.jsonl``) and ``summary.json``.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import Field

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath
from lmforge.llm.base import LLM
from lmforge.llm.types import Completion, GenerateConfig, Message, as_messages
from lmforge.pipeline.ask import AskResult, ask_result
from lmforge.pipeline.drops import Drop
from lmforge.pipeline.guards import Guard, echo, empty
from lmforge.pipeline.jobs import Job, JobConfig
from lmforge.pipeline.jsonladder import ParseFailure
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.rundir import RunDir
from lmforge.pipeline.runner import Stage, StageContext

from .constraints import PYTHON_KEYS, python_constraints
from .llm_output import apply_check, parse_constraint_json, parse_refined_instruction, symbol_filter
from .pairs import load_pairs
from .similarity import dedupe_constraints, overlap_count

__all__ = [
    "BacktranslateConfig",
    "backtranslate",
    "backtranslate_stages",
    "run_backtranslate",
    "show_backtranslate",
]

NO_CONSTRAINT = "no LLM-written constraint survived"
REFINE_ATTEMPTS = 3
"""Asks of the refine prompt per pair: the first (the cached call of earlier runs), two re-asks."""

PROMPTS = ("refine_instruction", "global_constraints", "local_constraints", "check_constraint")
GLOBAL_TYPES = (
    "Desired_Writing_Style",
    "Semantic_elements",
    "Morphological_Constraints",
    "Multi-lingual_Constraints",
)
LOCAL_TYPES = (
    "Hierarchical_Instructions",
    "Special_Output_Format",
    "Paragraphs_Constraints",
    "Specific_Sentence",
    "Key_Formatting",
    "Item_Listing_Details",
)


SENTENCE = {"type": "string", "maxLength": 200}
"""A constraint is one sentence of 10-20 words; the bound also caps a small model's rambling."""
YES_NO = {"type": "string", "enum": ["YES", "NO"]}


def _object_schema(properties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


SCHEMAS = {
    "global_constraints": _object_schema(dict.fromkeys(GLOBAL_TYPES, SENTENCE)),
    "local_constraints": _object_schema(dict.fromkeys(LOCAL_TYPES, SENTENCE)),
    "check_constraint": _object_schema(
        {
            "satisfaction": YES_NO,
            "explanation": {"type": "string", "maxLength": 80},
            "modified_constraint": SENTENCE,
            "constraint_validity": YES_NO,
        }
    ),
}


class BacktranslateConfig(JobConfig):
    """One back-translation run (written to the run directory as config.yaml); ``model`` is the
    constraint writer and checker."""

    input: JsonlPath | None = None
    """JSONL of pairs: ``instruction`` + ``response`` (optional ``id``), or TRL ``messages``."""
    output: Path | None = None
    """Where the kept items go (default: final.jsonl in the run directory)."""
    seed: int = 36
    """Seeds the Python constraints' phrasing draws, per record (official: unseeded, Q3)."""
    faithful_quirks: bool = False
    """Reproduce the official Word/Paragraph constraint defects (Q1, Q2)."""
    official_parsing: bool = False
    """The official two-try JSON parse and first-substring "text" rewrite (Q6)."""
    threshold: float = Field(0.6, ge=0, le=1)
    """ROUGE-L F above which two constraints count as duplicates."""
    generation: GenerateConfig = Field(
        default_factory=lambda: GenerateConfig(max_tokens=1024, temperature=0.4, top_p=0.3)
    )
    """Official: Llama-3-70B-Instruct, temperature 0.4, top_p 0.3, 1024 new tokens."""
    structured: bool = True
    """Ask JSON replies through the backend's JSON-schema mode (constrained decoding), so that
    small models still answer in JSON; off, replies are free text as in the official runs."""


def _prompt(name: str) -> Any:
    return load_prompt("lmforge.crab", name)


async def _ask(ctx: StageContext, name: str, structured: bool, **inputs: str) -> str:
    extra = {"json_schema": SCHEMAS[name]} if structured and name in SCHEMAS else {}
    return (await ctx.generate(_prompt(name).messages(**inputs), **extra)).text


def refine_guards(pair: dict[str, str]) -> tuple[Guard, ...]:
    """``empty``, and ``echo`` against the refine prompt less its instruction.

    A reply that mostly repeats the prompt's rules (or the answer it was shown) is no instruction.
    One that mostly repeats the instruction is what a refinement should be (it keeps tables, code
    and input text word for word), so a reply that echoes the instruction itself always passes,
    even where the instruction quotes the answer (an editing task).
    """
    rules = as_messages(_prompt(PROMPTS[0]).messages(instruction="", response=pair["response"]))
    own = as_messages(pair["instruction"])

    def echoed_rules(reply: Completion, messages: list[Message]) -> str | None:
        if echo(reply, own) is not None:
            return None
        return echo(reply, rules)

    return (empty, echoed_rules)


async def _refine(ctx: StageContext, cfg: BacktranslateConfig, pair: dict[str, str]) -> AskResult:
    """The refined instruction, asked through ``pipeline.ask`` (attempt 0 = the plain call)."""
    return await ask_result(
        ctx,
        _prompt(PROMPTS[0]).messages(**pair),
        lambda text: parse_refined_instruction(text, official=cfg.official_parsing),
        attempts=REFINE_ATTEMPTS,
        guards=refine_guards(pair),
    )


def _read_constraints(
    cfg: BacktranslateConfig, replies: dict[str, str], response: str
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The written constraints of the global and local replies, and the replies that failed."""
    failures, written = [], {}
    for name, reply in replies.items():
        try:
            found = parse_constraint_json(reply, official=cfg.official_parsing)
        except ParseFailure as exc:
            failures.append({"prompt": name, "error": str(exc), "raw": reply})
            continue
        for key, text in found.items():
            kept = symbol_filter(key, text, response) if name == "local" else text
            if kept is not None:
                written[key] = kept
    if len(failures) == len(replies):
        raise ParseFailure("neither constraint reply was JSON", replies["local"])
    return written, failures


def write_stage(cfg: BacktranslateConfig) -> Stage:
    async def write(record: dict[str, Any], ctx: StageContext) -> dict[str, Any] | Drop:
        pair = {"instruction": record["instruction"], "response": record["response"]}
        refined, global_, local = await asyncio.gather(
            _refine(ctx, cfg, pair),
            *(_ask(ctx, name, cfg.structured, **pair) for name in PROMPTS[1:3]),
        )
        if refined.exception is not None:
            raise refined.exception
        written, failures = _read_constraints(
            cfg, {"global": global_, "local": local}, pair["response"]
        )
        meta: dict[str, Any] = {"parse_failures": failures}
        if refined.reasons:
            meta["refine_rejected"] = list(refined.reasons)
        if not refined.ok:
            return Drop(f"refine: {refined.error}", raw=refined.raw, **meta)
        rng = random.Random(f"{cfg.seed}:{record['id']}")
        computed = python_constraints(pair["response"], rng, faithful_quirks=cfg.faithful_quirks)
        return {
            **record,
            "refined": refined.value,
            "llm_constraints": written,
            "python_constraints": {k: c.describe() for k, c in computed.items()},
            "_meta": meta,
        }

    prompts = [_prompt(n) for n in PROMPTS[:3]]
    params = {
        "seed": cfg.seed,
        "quirks": cfg.faithful_quirks,
        "official": cfg.official_parsing,
        "structured": cfg.structured,
    }
    # version 2: the refine reply is guarded (re-asked, then dropped), so earlier outputs rerun
    return Stage("write", write, version="2", prompts=prompts, params=params, config=cfg.generation)


def verify_stage(cfg: BacktranslateConfig) -> Stage:
    async def verify(record: dict[str, Any], ctx: StageContext) -> dict[str, Any]:
        written = {k: v for k, v in record["llm_constraints"].items() if k not in PYTHON_KEYS}
        replies = await asyncio.gather(
            *(
                _ask(
                    ctx,
                    "check_constraint",
                    cfg.structured,
                    constraint=t,
                    response=record["response"],
                )
                for t in written.values()
            )
        )
        verified, changes = {}, {}
        for (key, text), reply in zip(written.items(), replies, strict=True):
            kept = apply_check(text, reply, official=cfg.official_parsing)
            if kept != text:
                changes[key] = {"before": text, "after": kept}
            if kept is not None:
                verified[key] = kept
        meta = {**record.get("_meta", {}), "check_changes": changes}
        return {**record, "llm_constraints": verified, "_meta": meta}

    params = {"official": cfg.official_parsing, "structured": cfg.structured}
    return Stage(
        "verify", verify, prompts=[_prompt(PROMPTS[3])], params=params, config=cfg.generation
    )


def dedupe_stage(cfg: BacktranslateConfig) -> Stage:
    async def dedupe(record: dict[str, Any], ctx: StageContext) -> dict[str, Any] | Drop:
        if not record["llm_constraints"]:
            return Drop(NO_CONSTRAINT, **record.get("_meta", {}))
        merged = {**record["python_constraints"], **record["llm_constraints"]}
        kept, removed = dedupe_constraints(merged, cfg.threshold)
        row = {
            "id": record["id"],
            "messages": [
                {"role": "user", "content": record["instruction"]},
                {"role": "assistant", "content": record["response"]},
            ],
            "Aug_instruction": {
                "Refined_Instruction": record["refined"],
                "Additional_Instruction": kept,
            },
            "overlap": overlap_count(kept, record["refined"], cfg.threshold),
            "_meta": {**record.get("_meta", {}), "duplicates_removed": removed},
        }
        if "source" in record:
            row["source"] = record["source"]
        return row

    return Stage("dedupe", dedupe, params={"threshold": cfg.threshold})


def backtranslate_stages(cfg: BacktranslateConfig) -> list[Stage]:
    return [write_stage(cfg), verify_stage(cfg), dedupe_stage(cfg)]


async def run_backtranslate(
    cfg: BacktranslateConfig,
    llm: LLM | None = None,
    run: RunDir | str | Path | None = None,
    *,
    quiet: bool = False,
) -> dict[str, Any]:
    """Back-translate every pair of ``cfg.input`` into ``run``; rerunning the same run resumes.

    Returns the figures ``lmforge crab backtranslate`` prints (pairs, kept, dropped, failed)
    and the constraint types of the kept items; the kept items are written once.
    """
    if cfg.input is None:
        raise InputError("give --input PAIRS.jsonl", field="input")
    pairs = load_pairs(cfg.input)
    job = Job("crab-backtranslate", cfg, out=run, quiet=quiet, llm=llm)
    await job.run(backtranslate_stages(cfg), pairs)
    kept = job.rows()
    types = Counter(key for row in kept for key in row["Aug_instruction"]["Additional_Instruction"])
    counts = {"pairs": len(pairs), "kept": len(kept), "constraint_types": dict(types.most_common())}
    summary = job.finish(rows=kept, output=cfg.output, counts=counts)
    figures = ("pairs", "kept", "dropped", "drops", "failed", "failures", "constraint_types")
    return {k: summary[k] for k in figures}


def show_backtranslate(result: dict[str, Any]) -> list[str]:
    """The CLI's lines: ``pairs:``, ``kept:``, ``dropped:`` then one line per drop reason,
    ``failed:`` then one line per failure reason (``  failed: ParseFailure: ...: 2``)."""
    lines = [f"{key}: {result[key]}" for key in ("pairs", "kept", "dropped")]
    lines += [f"  dropped: {reason}: {n}" for reason, n in result.get("drops", {}).items()]
    lines.append(f"failed: {result['failed']}")
    lines += [f"  failed: {reason}: {n}" for reason, n in result.get("failures", {}).items()]
    return lines


def backtranslate(
    config: BacktranslateConfig, *, out: Path | None = None, quiet: bool = False
) -> dict[str, Any]:
    """Write down the constraints each response already meets (rows: instruction, response)."""
    return asyncio.run(run_backtranslate(config, run=out, quiet=quiet))

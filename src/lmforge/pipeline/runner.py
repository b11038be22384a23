"""The resumable, concurrent map of one stage over records.

A stage maps one input record to one output record. ``run_stage`` skips ids already in the output
file; a record whose stage raises becomes an error row (with the model's raw text and its
retries) and the run goes on. A stage that returns a :class:`~lmforge.pipeline.drops.Drop`
leaves its record out on purpose: it goes to ``*.dropped.jsonl``, is counted by reason, and
counts as done on resume (a verdict, not a failure).

What a resumed run (the same input, the same output file) promises, after a kill or Ctrl-C at
any point (``docs/resume.md``; ``tests/pipeline/test_resume_promise.py`` checks each):

- nothing lost: every input id ends in the output, the drop sidecar or the error rows;
- nothing done twice: an id finished (or dropped) by an earlier run is not asked again, and it
  is in the output once;
- finished records are never re-made: their rows keep their bytes, whatever a resume does;
- input order: once every record is accounted for, the output is in input order.

It does *not* promise that a resumed run ends byte-identical to an uninterrupted one: the
records in flight at the kill are made again, and a model may answer them differently
(llama.cpp's batched decoding is not bit-stable even at temperature 0; the call cache makes
a re-made call identical only when the call had finished before the kill).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lmforge.errors import InputError, StageError

from ..llm.base import LLM
from ..llm.retry import RetryCount, counting_retries
from ..llm.types import Completion, GenerateConfig, Message, Usage
from .drops import Drop, drop_row, dropped_path, dropped_reasons
from .gc_scope import run_collector
from .ordering import _tidy, done_ids
from .records import META, JsonlAppender, given_id, iter_jsonl, record_id, write_jsonl
from .rundir import sweep_temps
from .shards import in_shard, shard_path, shard_suffix
from .summary import Progress, RunSummary, failure_reason, watching

StageFn = Callable[[dict[str, Any], "StageContext"], Awaitable[dict[str, Any] | Drop]]

DONE, DROPPED, FAILED = "done", "dropped", "failed"
"""What became of one record: the outcome ``process_record`` reports with its row."""

EXECUTOR: ContextVar[Any] = ContextVar("lmforge_stage_executor", default=None)
"""Where ``run_stage`` runs a stage: None, here; else an object with the same ``run_stage``
(``pipeline.executors.RayExecutor``), set for a job's run by ``executors.executing``."""


@dataclass
class Stage:
    """One step of a pipeline: a name, the async function, and what its output depends on."""

    name: str
    fn: StageFn
    version: str = "1"
    prompts: Sequence[Any] = ()
    """Prompt objects (with ``.sha256``) or template sources: editing one changes the signature."""
    params: dict[str, Any] = field(default_factory=dict)
    """Generation parameters and options that change the output."""
    config: GenerateConfig = field(default_factory=GenerateConfig)

    def signature(self, upstream: str = "") -> str:
        hashes = [
            getattr(p, "sha256", None) or hashlib.sha256(str(p).encode()).hexdigest()
            for p in self.prompts
        ]
        payload = {
            "name": self.name,
            "version": self.version,
            "prompts": hashes,
            "params": self.params,
            "config": self.config.key_dict(),
            "upstream": upstream,
        }
        blob = json.dumps(payload, sort_keys=True, default=str).encode()
        return f"{self.name}-{hashlib.sha256(blob).hexdigest()[:10]}"


class StageContext(LLM):
    """What a stage function gets besides its record: the model, and usage accounting.

    It is an :class:`~lmforge.llm.base.LLM` (so every helper that takes a model takes a stage's
    context, and its calls count in the run), answering as the stage's model. Two ways to ask:
    ``generate(prompt, config)`` as for any model, where a passed config replaces the stage's and
    ``None`` means the stage's; and ``generate(prompt, **overrides)``, fields changed on top of the
    stage config (``max_tokens=64``), which stage functions use most.
    """

    def __init__(self, llm: LLM | None, config: GenerateConfig, summary: RunSummary) -> None:
        self.llm = llm
        self.config = config
        self._summary = summary
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self.calls = 0
        self.retries = RetryCount()
        """Retries of transient model errors made for this record (``llm.retry``)."""
        self.last_text: str | None = None
        if llm is not None:
            self.spec = llm.spec
            self.default_concurrency = llm.default_concurrency
            self.supports_images = llm.supports_images

    @property
    def usage(self) -> Usage:
        """Tokens of this record's uncached calls. Kept as two counts and made into a
        ``Usage`` when asked: two pydantic models per call were a tenth of the runner's own
        cost on an instant server (``benchmarks/runner_ceiling.py``)."""
        return Usage(prompt_tokens=self._prompt_tokens, completion_tokens=self._completion_tokens)

    @usage.setter
    def usage(self, usage: Usage) -> None:
        self._prompt_tokens = usage.prompt_tokens
        self._completion_tokens = usage.completion_tokens

    async def generate(
        self,
        prompt: str | list[Message] | list[dict],
        config: GenerateConfig | None = None,
        **overrides: Any,
    ) -> Completion:
        base = self.config if config is None else config
        return await super().generate(
            prompt, base.model_copy(update=overrides) if overrides else base
        )

    async def _generate(self, messages: list[Message], config: GenerateConfig) -> Completion:
        """Every path in (``generate``, ``generate_many``, ``stream``) lands here: one place
        for the accounting the run summary and the record's ``_meta`` report."""
        if self.llm is None:
            raise StageError("this stage was run without a model")
        completion = await self.llm._generate(messages, config)
        self.calls += 1
        self.last_text = completion.text
        if not completion.cached:
            self._prompt_tokens += completion.usage.prompt_tokens
            self._completion_tokens += completion.usage.completion_tokens
        self._summary.add_usage(completion.usage, cached=completion.cached)
        return completion


def error_row(rid: str, record: dict, stage: str, exc: BaseException, ctx: StageContext) -> dict:
    """A failed record's row: the whole message (``error``), the key the summary counts it under
    (``reason``), the model's raw text, and the input (nothing lost)."""
    raw = getattr(exc, "raw", None) or ctx.last_text
    return {
        "id": given_id(record, rid),
        META: {
            "stage": stage,
            "error": f"{type(exc).__name__}: {exc}",
            "reason": failure_reason(exc),
            "raw": raw,
            "retries": ctx.retries.retries,
            "input": record,
        },
    }


def _accounting(stage: str, ctx: StageContext) -> dict[str, Any]:
    # what ``ctx.usage.model_dump()`` gives, without making the model
    usage = {"prompt_tokens": ctx._prompt_tokens, "completion_tokens": ctx._completion_tokens}
    return {"stage": stage, "usage": usage, "calls": ctx.calls, "retries": ctx.retries.retries}


def finish_record(rid: str, record: dict, result: Any, stage: str, ctx: StageContext) -> dict:
    """The output row of a finished record: its id first (as given), then ``_meta`` accounting."""
    if isinstance(result, Drop):
        return drop_row(rid, record, result, _accounting(stage, ctx))
    if not isinstance(result, dict):
        raise TypeError(f"stage {stage!r} returned {type(result).__name__}, expected a dict")
    row = {"id": given_id(record, rid)}
    row.update((k, v) for k, v in result.items() if k != "id")
    meta = dict(row.get(META) or {})
    meta.update(_accounting(stage, ctx))
    row[META] = meta
    return row


async def process_record(
    stage: Stage, rid: str, record: dict, llm: LLM | None, summary: RunSummary
) -> tuple[str, dict]:
    """(DONE, output row), (DROPPED, sidecar row) or (FAILED, error row); only a BaseException
    (Ctrl-C) escapes."""
    ctx = StageContext(llm, stage.config, summary)
    try:
        with counting_retries(ctx.retries):
            result = await stage.fn(record, ctx)
        row = finish_record(rid, record, result, stage.name, ctx)
    except Exception as exc:  # the record fails, the run goes on
        return FAILED, error_row(rid, record, stage.name, exc, ctx)
    finally:
        if ctx.retries.retries:  # a pydantic field: setting it costs, even to the same value
            summary.retries += ctx.retries.retries
    return (DROPPED if isinstance(result, Drop) else DONE), row


def load_inputs(
    records: Iterable[dict] | str | Path, shard: tuple[int, int] | None
) -> list[tuple[str, dict]]:
    """(id, record) pairs in input order; a repeated id is an input error (it would be lost)."""
    if isinstance(records, str | Path):
        numbered = iter_jsonl(records)
        source: str | None = str(records)
    else:
        numbered = enumerate(records, start=1)
        source = None
    seen: dict[str, int] = {}
    out = []
    for line, row in numbered:
        rid = record_id(row)
        if rid in seen:
            raise InputError(
                f"duplicate record id {rid!r} (first at line {seen[rid]}); "
                "give each row a distinct 'id'",
                path=source,
                line=line,
            )
        seen[rid] = line
        if in_shard(rid, shard):
            out.append((rid, row))
    return out


async def _run_workers(width: int, worker: Callable[[], Awaitable[None]]) -> None:
    """Run ``width`` workers; if one escapes (Ctrl-C, a bug), cancel the rest before returning
    so none writes to a closed file."""
    tasks = [asyncio.ensure_future(worker()) for _ in range(max(1, width))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _plan(
    stage: Stage, inputs: list[tuple[str, dict]], out_path: Path, drop_path: Path
) -> tuple[RunSummary, list[tuple[str, dict]]]:
    """The summary's starting counts and the records still to do.

    Ids in the output were finished by an earlier run (skipped); ids in the drop sidecar were
    dropped by one and stay dropped: counted under ``dropped``, never asked again.
    """
    finished = done_ids(out_path)
    earlier = dropped_reasons(drop_path)
    summary = RunSummary(stage=stage.name, total=len(inputs))
    pending = []
    for rid, record in inputs:
        if rid in finished:
            summary.skipped += 1
        elif rid in earlier:
            summary.add_drop(earlier[rid])
        else:
            pending.append((rid, record))
    return summary, pending


async def run_stage(
    stage: Stage,
    records: Iterable[dict] | str | Path,
    output: str | Path,
    *,
    llm: LLM | None = None,
    concurrency: int | None = None,
    shard: tuple[int, int] | None = None,
    limit: int | None = None,
    quiet: bool = False,
) -> RunSummary:
    """Run ``stage`` over the records not yet in ``output``; errors go to ``*.errors.jsonl``,
    drops to ``*.dropped.jsonl``.

    With ``shard`` the output file names carry the shard (``records.shard-0-of-4.jsonl``) so
    shards can share a folder; ``lmforge merge`` joins them. ``limit`` caps the records done in
    this call (the first N not yet finished).
    """
    if (executor := EXECUTOR.get()) is not None:  # --executor ray (pipeline.executors)
        kw = {"llm": llm, "concurrency": concurrency, "shard": shard, "limit": limit}
        return await executor.run_stage(stage, records, output, quiet=quiet, **kw)
    out_path = shard_path(Path(output), shard)
    err_path = out_path.with_suffix(".errors.jsonl")
    drop_path = dropped_path(out_path)
    inputs = load_inputs(records, shard)
    sweep_temps(out_path.parent, [p.name for p in (out_path, err_path, drop_path)])
    summary, pending = _plan(stage, inputs, out_path, drop_path)
    if limit is not None:
        pending = pending[:limit]
    if (watch := watching()) is not None:
        watch.stages.append(summary)  # live counts, for what a Ctrl-C kept
    err_path.unlink(missing_ok=True)  # errors of earlier runs are retried now
    queue = iter(pending)
    with (
        run_collector(),
        JsonlAppender(out_path, per_turn=True) as out,
        JsonlAppender(err_path, per_turn=True) as errors,
        JsonlAppender(drop_path, per_turn=True) as drops,
        Progress(summary, quiet=quiet, todo=len(pending)) as progress,
    ):
        sinks = {DONE: out, DROPPED: drops, FAILED: errors}

        async def worker() -> None:
            for rid, record in queue:
                kind, row = await process_record(stage, rid, record, llm, summary)
                sinks[kind].write(row)
                if kind == DONE:
                    summary.done += 1
                elif kind == DROPPED:
                    summary.add_drop(row["reason"])
                else:
                    summary.failed += 1
                reason = row[META]["reason"] if kind == FAILED else None
                progress.advance(failed_reason=reason)

        await _run_workers(concurrency or (llm.default_concurrency if llm else 8), worker)
    _tidy(out_path, (err_path, drop_path), [rid for rid, _ in inputs], summary)
    if summary.failed:
        summary.error_rows = str(err_path)
    return summary


def stage_paths(stages: Sequence[Stage], out_dir: str | Path) -> list[Path]:
    """Each stage's output file in a pipeline folder: ``<signatures so far>/records.jsonl``."""
    paths, upstream = [], ""
    for stage in stages:
        upstream = stage.signature(upstream)
        paths.append(Path(out_dir) / upstream / "records.jsonl")
    return paths


async def run_pipeline(
    stages: Sequence[Stage],
    records: Iterable[dict] | str | Path,
    out_dir: str | Path,
    *,
    llm: LLM | None = None,
    concurrency: int | None = None,
    shard: tuple[int, int] | None = None,
    quiet: bool = False,
    final: bool = True,
) -> list[RunSummary]:
    """Chain stages: each reads the previous stage's output file from its signature folder.

    A folder name holds the signatures of its stage and all stages before it, so editing a prompt
    reruns that stage and the ones after it, and nothing else. A record dropped or failed by a
    stage is not in its output, so it never reaches a later stage. ``final.jsonl`` is the last
    output (``final=False`` leaves it to the caller: a :class:`~lmforge.pipeline.jobs.Job`
    writes its own final output once).
    """
    summaries = []
    source: Iterable[dict] | str | Path = records
    for stage, target in zip(stages, stage_paths(stages, out_dir), strict=True):
        summary = await run_stage(
            stage, source, target, llm=llm, concurrency=concurrency, shard=shard, quiet=quiet
        )
        summaries.append(summary)
        source = shard_path(target, shard)
        if not Path(source).exists() or Path(source).stat().st_size == 0:
            write_jsonl(source, [])  # every record failed: later stages have nothing to do
            break
    if final:
        rows = [r for _, r in iter_jsonl(source, allow_empty=True, tolerate_torn_tail=True)]
        write_jsonl(Path(out_dir) / f"final{shard_suffix(shard)}.jsonl", rows)
    return summaries

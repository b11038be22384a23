"""``Job``: the one way a command runs records, so every command's run looks the same.

Before this module five commands each wrote their config, ran, re-read their output, copied it
and wrote a summary, each a little differently (one wrote the same rows four times). A job does
that once for all of them::

    job = Job("batch", cfg, out=out, quiet=quiet)      # runs/batch/<timestamp>/ + config.yaml
    await job.run([stage], cfg.input)                  # the runner: resume, shards, drops
    summary = job.finish(rows=job.rows(), output=cfg.output, counts={"kept": ...})

Layout of a job's run directory::

    config.yaml                 the effective config (the command's fields, then the run options)
    <stage>-<sig>/records.jsonl each stage's output, resumable; .errors.jsonl and .dropped.jsonl
                                beside it (or one fixed file name, ``run(..., file=NAME)``)
    final.jsonl                 the final rows, unless ``--output`` names another place
    summary.json                counts, drops and failures by reason, per-stage figures

With a shard, ``config.yaml`` and ``summary.json`` carry it too (``summary.shard-0-of-4.json``),
so shards sharing one ``--out`` folder keep their own; ``summary.json`` adds them up.

Figures a command prints on stdout stay the command's business: ``finish`` returns them.
Where they end is checked before any work: the run folder and a config's ``output`` file
(one-line ``InputError``, nothing written). A run with failed records still writes everything;
the CLI then exits 3 (:class:`~lmforge.errors.RecordsFailed`, from the summary ``finish``
wrote), and a Ctrl-C says what was kept and how to resume (``docs/exit-codes.md``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import InputError
from ..llm.base import LLM
from .executors import executing
from .records import iter_jsonl, record_id, write_jsonl
from .rundir import RunDir, check_output_file, cleaned, sweep_temps
from .runner import Stage, load_inputs, run_pipeline, run_stage, stage_paths
from .shards import parse_shard, shard_path
from .summary import RunSummary, print_summaries, summaries_dict

__all__ = ["Job", "JobConfig", "config_dump"]

Records = Iterable[dict[str, Any]] | str | Path
_UNSET: Any = object()
RUN_PLACE = ("executor", "ray_address", "ray_actors")
"""The executor options: they change where the calls are made, not what a run writes."""


class JobConfig(BaseModel):
    """The run options every record-running command shares; a command's config subclasses it.

    They live in the config (and so in ``config.yaml``) rather than in each command's signature,
    so ``--config`` files, ``--set`` and the generated ``--help`` treat them alike everywhere.
    """

    model_config = ConfigDict(use_attribute_docstrings=True)

    uses_model: ClassVar[bool] = True
    """False for commands whose model comes from elsewhere (a scorer spec): ``model`` unused."""
    cli_hidden: ClassVar[tuple[str, ...]] = ()
    """Shared options that make no sense for this command (a deck has no shards): the CLI
    generator leaves them out of the command's options (``model`` too when not ``uses_model``)."""
    local_only: ClassVar[bool] = False
    """True for commands that score outside the job layer (the benchmarks): they run on this
    machine only, so ``--executor`` and its options are hidden and ``ray`` is refused rather
    than accepted and ignored; ``--shard`` spreads them instead."""

    model: str | None = None
    """Model spec (see `lmforge models`); default: LMFORGE_MODEL, else ``embedded``."""
    concurrency: int | None = Field(None, ge=1)
    """Records in flight; default: the model backend's own limit."""
    limit: int | None = Field(None, ge=1)
    """Only the first N input records (taken before sharding, so a rerun resumes the same N)."""
    shard: tuple[int, int] | None = None
    """Only shard i of n, given as ``i/n``: the records whose id hashes to i (``lmforge merge``
    joins the shards' outputs)."""

    executor: Literal["local", "ray"] = "local"
    """Where the stages run: ``local`` (this process) or ``ray`` (Ray Data ``map_batches``;
    extra ``ray``); same rows, same files, same resume (``docs/scaling.md``)."""
    ray_address: str | None = None
    """With ``--executor ray``: the cluster to join (``auto``, ``ray://head:10001``);
    default: a local Ray started for the run."""
    ray_actors: int | None = Field(None, ge=1)
    """With ``--executor ray``: model-holding actors per stage; default: the cluster's CPUs."""

    @field_validator("executor")
    @classmethod
    def _check_executor(cls, value: str) -> str:
        if value == "ray" and cls.local_only:
            raise ValueError("this command runs here only; spread it with --shard i/n instead")
        if value == "ray":
            from .executors import require_ray

            try:
                require_ray()
            except InputError:
                raise ValueError("Ray is not installed (pip install 'lmforge[ray]')") from None
        return value

    @field_validator("shard", mode="before")
    @classmethod
    def _parse_shard(cls, value: Any) -> Any:
        return parse_shard(value) if isinstance(value, str) else value

    @field_validator("shard")
    @classmethod
    def _check_shard(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not (value[1] >= 1 and 0 <= value[0] < value[1]):
            raise ValueError("expected i/n with 0 <= i < n, e.g. 0/4")
        return value


def config_dump(config: BaseModel) -> dict[str, Any]:
    """The config as ``config.yaml`` shows it: the command's own fields first (what the run is
    about), then the shared run options; ``model`` left out where the command has no use for it."""
    data = config.model_dump(mode="json")
    if data.get("executor") == "local":  # where a run ran is said only when it was not here
        for key in RUN_PLACE:
            data.pop(key, None)
    shared = [k for k in JobConfig.model_fields if k in data]
    if not getattr(config, "uses_model", True):
        shared.remove("model")
        data.pop("model", None)
    return {**{k: v for k, v in data.items() if k not in shared}, **{k: data[k] for k in shared}}


def _effective(config: JobConfig, llm: LLM | None) -> JobConfig:
    """A copy with the model spec that will actually answer (the given model's, else the
    default), so ``config.yaml`` records what ran rather than ``null``."""
    if not config.uses_model or config.model:
        return config
    from ..config import get_settings

    return config.model_copy(update={"model": llm.spec if llm else get_settings().model})


def _first(records: Records, limit: int | None) -> Records:
    if limit is None:
        return records if isinstance(records, str | Path) else list(records)
    if isinstance(records, str | Path):
        return [row for _, row in islice(iter_jsonl(records), limit)]
    return list(islice(records, limit))


class Job:
    """One run of one command: its folder, config, model, stages, final output and summary.

    ``out`` reuses a run folder (a ``RunDir`` or a path), which resumes that run: the runner
    skips records already done or dropped there. ``llm`` gives a ready model (tests, scorers);
    otherwise ``job.llm`` builds ``config.model`` on first use, so a run that has nothing left
    to do never loads one.
    """

    def __init__(
        self,
        what: str,
        config: JobConfig,
        *,
        out: str | Path | RunDir | None = None,
        quiet: bool = False,
        llm: LLM | None = None,
        root: str | Path = "runs",
    ) -> None:
        self.what = what
        self.quiet = quiet
        from ..config import get_settings

        get_settings()  # a bad LMFORGE_* value stops here, before the run folder is made
        self.config = _effective(config, llm)
        output = getattr(config, "output", None)  # a command's final file, by convention
        if isinstance(output, str | Path):
            self._check_output(output)
        if isinstance(out, RunDir):
            self.dir = out
        else:
            self.dir = RunDir.open(out, what, root)
        self.dir.shard = self.config.shard
        self.path = self.dir.path
        self.summaries: list[RunSummary] = []
        self._llm = llm
        self._output: Path | None = None
        self._ids: list[str] = []
        self.dir.write_config(config_dump(self.config))

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def _check_output(self, output: str | Path) -> Path:
        """The shard's file of ``output``, checked writable; stale temp files of it removed."""
        target = shard_path(Path(output), self.config.shard)
        check_output_file(target)
        sweep_temps(target.parent, [target.name])
        return target

    @property
    def llm(self) -> LLM | None:
        """The model the stages call: the one given, else ``config.model`` (None for commands
        that do not use ``model``)."""
        if self._llm is None and self.config.uses_model:
            from ..llm.registry import get_llm

            self._llm = get_llm(self.config.model)
        return self._llm

    async def run(
        self,
        stages: Sequence[Stage],
        records: Records,
        *,
        file: str | None = None,
        concurrency: int | None = _UNSET,
        shard: tuple[int, int] | None = _UNSET,
        limit: int | None = _UNSET,
    ) -> list[RunSummary]:
        """Run ``stages`` over ``records`` in the run folder; returns their summaries.

        Stage outputs go to signature folders (``<stage>-<sig>/records.jsonl``), or, for a
        single stage, to the fixed ``file``. ``concurrency``, ``shard`` and ``limit`` default
        to the config's; a command whose limit means something else (per domain) passes
        ``limit=None`` and applies its own.
        """
        cfg = self.config
        concurrency = cfg.concurrency if concurrency is _UNSET else concurrency
        shard = cfg.shard if shard is _UNSET else shard
        records = _first(records, cfg.limit if limit is _UNSET else limit)
        self._ids = [rid for rid, _ in load_inputs(records, shard)]
        with executing(cfg) as executor:
            llm = self.llm if executor is None else self._llm  # Ray actors build their own
            options = {"llm": llm, "concurrency": concurrency, "shard": shard}
            if file is not None:
                if len(stages) != 1:
                    raise ValueError("file= names the output of a single stage")
                target = self.path / file
                run = run_stage(stages[0], records, target, quiet=self.quiet, **options)
                summaries = [await run]
            else:
                target = stage_paths(stages, self.path)[-1]
                summaries = await run_pipeline(
                    stages, records, self.path, quiet=self.quiet, final=False, **options
                )
        self._output = shard_path(target, shard)
        self.summaries.extend(summaries)
        return summaries

    def rows(self) -> list[dict[str, Any]]:
        """The last run's output rows for this job's records, in input order (a reused folder
        may also hold rows of an earlier, larger run: they are left out)."""
        if self._output is None or not self._output.exists():
            return []
        lines = iter_jsonl(self._output, allow_empty=True, tolerate_torn_tail=True)
        found = {record_id(row): row for _, row in lines}
        return [found[rid] for rid in self._ids if rid in found]

    def finish(
        self,
        *,
        rows: Iterable[dict[str, Any]] | None = None,
        output: str | Path | None = None,
        counts: dict[str, Any] | None = None,
        name: str = "final.jsonl",
    ) -> dict[str, Any]:
        """Write the final rows once, ``summary.json``, and the end summary; returns the summary.

        ``rows`` go to ``output`` (the user's ``--output``) if given, else to ``name`` in the
        run folder, never both; with a shard the file name carries it. ``rows=None`` writes
        no final file (the stage outputs are the result). ``counts`` (the command's figures)
        join the summary's top level. Failed records are counted there (``failed``, and
        ``error_rows`` lists their files), which is how the CLI knows to exit 3; from Python
        the returned summary says so.
        """
        summary: dict[str, Any] = {"what": self.what, **summaries_dict(self.summaries)}
        stages = summary.pop("stages")
        if rows is not None:
            target = self._check_output(output if output else self.path / name)
            summary["output"] = str(target)
            with cleaned(target):
                summary["rows"] = write_jsonl(target, rows)
        summary.update(counts or {})
        if self._llm is not None:
            from ..llm.endpoints import endpoint_stats  # httpx: only runs that had a model

            if endpoints := endpoint_stats(self._llm):
                summary.setdefault("endpoints", endpoints)  # several servers: each one's share
        summary["stages"] = stages
        self.dir.write_summary(summary)
        if not self.quiet and self.summaries:
            print_summaries(self.summaries, title=self.what)
        print(f"run: {self.path}", file=sys.stderr)
        return summary

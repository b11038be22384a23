"""Where a job's stages run: here (``--executor local``, the default) or on Ray Data
(``--executor ray [--ray-address ADDR]``, extra ``ray``).

Why one switch in the job layer rather than a Ray version of each command: every system's job
verb goes through :class:`~lmforge.pipeline.jobs.Job`, and every stage through
:func:`~lmforge.pipeline.runner.run_stage`; ``Job.run`` sets the executor for the time of its run
(:func:`executing`) and ``run_stage`` hands the stage to it. So the Ray executor runs the *same*
stage functions through the same ``process_record``, plans with the same resume rules (ids in the
output or the drop sidecar are skipped) and writes the same three files through the same appenders,
in the same order, and tidies them the same way: for the same input and call cache, both executors
write the same bytes (``tests/pipeline/test_executors.py`` checks it on the toy pipeline).

What differs is where the calls are made: the pending records become a Ray Dataset (one JSON
column, one block per worker), mapped by ``map_batches`` as Ray tasks, at most ``--ray-actors``
at once, each keeping ``concurrency / actors`` records in flight. Ray reuses its task workers,
and each worker builds a server client once and keeps it (``ray_adapter.task_outcomes``): a warm
job pays no process start and no model build per stage, where an actor pool pays both every
stage. A worker runs one task per stage and streams its finished records back as it goes, up to
256 to a row (``ray_packed``), so no batch waits on a scheduling round trip or drains its
slots. The driver takes the packs in input order (``preserve_order``) and appends each as it
arrives, so a killed driver leaves exactly the rows that reached it (what was in flight is done
again by the next run, which skips the rest). The driver never loads the model itself. A spec
that holds weights in-process (``embedded``, ``hf:``) is built per task on a worker that exits
after it (llama.cpp keeps a GGUF for the life of its process), so at most ``--ray-actors``
models are loaded at once and none stays loaded after the stage; on one machine give
``--ray-actors`` no more than its memory holds; against vLLM/SGLang servers use ``openai:`` specs.

Settings reach the actors through their environment: every ``LMFORGE_*`` variable of the driver
(the cache path, timeouts, the default model) is set in each actor's ``runtime_env``. The call cache
is an SQLite file per node: on one machine all actors share the driver's; on a cluster, point
``LMFORGE_CACHE_PATH`` at a node-local path (or turn it off) — SQLite over NFS is not safe.
"""

from __future__ import annotations

import inspect
import logging
import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..llm.base import LLM
from .drops import dropped_path
from .ordering import _tidy
from .ray_packed import Pack
from .records import JsonlAppender
from .rundir import sweep_temps
from .runner import DONE, DROPPED, EXECUTOR, FAILED, Stage, _plan, load_inputs
from .runner import run_stage as _local_run_stage
from .shards import shard_path
from .summary import Progress, RunSummary, watching

__all__ = ["EXECUTORS", "RayExecutor", "executing", "require_ray"]

EXECUTORS = ("local", "ray")
WAVES = 1
"""Tasks per worker in a stage (see ``RayExecutor.batch_for``). One: a task streams its rows as
it goes (``ray_packed``), so more would buy only balancing between workers, at a scheduling
round trip each with the worker idle; a slow worker holds the end of its stage."""
RUN_STAGE = inspect.signature(_local_run_stage)
"""The options every executor's ``run_stage`` takes: the local one's (``RayExecutor.run_stage``)."""
RAY_MISSING = "--executor ray needs the extra 'ray' (pip install 'lmforge[ray]')"


def require_ray() -> None:
    """Raise a one-line ``InputError`` when Ray cannot be imported (the CLI exits 2)."""
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise InputError(RAY_MISSING) from exc


def lmforge_env() -> dict[str, str]:
    """The driver's ``LMFORGE_*`` settings, for the actors' processes."""
    return {k: v for k, v in os.environ.items() if k.startswith("LMFORGE_")}


def _shipped(llm: LLM | None, default_spec: str | None) -> str | LLM | None:
    """What the actors build their model from: a scripted model travels as itself (it holds no
    resource, and its script is the point), any other model as its spec (a live client, a
    llama.cpp context or a cache connection does not pickle, and each actor needs its own)."""
    from ..llm.scripted import ScriptedLLM

    if isinstance(llm, ScriptedLLM):
        return llm
    if llm is not None:
        return llm.spec
    return default_spec


@dataclass
class RayExecutor:
    """Run each stage as ``map_batches`` over a Ray Dataset; see the module docstring."""

    address: str | None = None
    """A running cluster (``ray://head:10001``, ``auto``); None: the one this process already
    joined, else a local Ray started for the run."""
    actors: int | None = None
    """Model-holding actors per stage; default: the cluster's CPUs, at most one per batch."""
    batch_size: int = 16
    """The fewest records a worker is given (one block of the dataset each): fewer pending
    records than ``batch_size`` per worker start fewer workers."""
    model: str | None = None
    """The spec actors build when the stage is run without a model object (the job's model)."""

    def connect(self) -> None:
        import ray
        import ray.data

        if not ray.is_initialized():
            ray.init(
                address=self.address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                runtime_env={"env_vars": lmforge_env()},
            )
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # rows come back in input order
        ctx.enable_progress_bars = False  # the run's own progress bar says it
        ctx.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)

    def _actors(self, pending: int) -> int:
        import ray

        cpus = int(ray.cluster_resources().get("CPU", 1))
        wanted = self.actors or cpus
        return max(1, min(wanted, math.ceil(pending / self.batch_size)))

    def batch_for(self, records: int, *, actors: int, concurrency: int) -> int:
        """Records per block (one task each): at least ``batch_size`` and the worker's share
        of the concurrency (a smaller block would cap the records in flight), and ``WAVES``
        blocks per worker."""
        per_actor = math.ceil(concurrency / actors)
        return max(self.batch_size, per_actor, math.ceil(records / (actors * WAVES)))

    def stream(
        self, stage: Stage, records: list[dict[str, Any]], model: Any, concurrency: int
    ) -> Iterator[Pack]:
        """The packed outcomes of ``records``, in input order, as the workers hand them on."""
        from .ray_adapter import records_to_dataset
        from .ray_packed import map_stage_packed

        self.connect()
        actors = self._actors(len(records))
        per_actor = math.ceil(concurrency / actors)
        batch = self.batch_for(len(records), actors=actors, concurrency=concurrency)
        dataset = records_to_dataset(records, blocks=math.ceil(len(records) / batch))
        mapped = map_stage_packed(dataset, stage, model=model, actors=actors, concurrency=per_actor)
        # prefetch_batches=0: the default (1) holds each block back until the next has come
        for batch in mapped.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0):
            for i in range(len(batch["tally"])):
                yield Pack.of({key: batch[key][i] for key in batch})

    async def run_stage(
        self, stage: Stage, records: Iterable[dict] | str | Path, output: str | Path, **options: Any
    ) -> RunSummary:
        """``run_stage`` on Ray: same plan, same files, same summary (its docstring holds).

        Its options are ``runner.run_stage``'s, bound to that signature with its defaults (an
        unknown one is the same TypeError), so the two cannot drift apart.
        """
        bound = RUN_STAGE.bind(stage, records, output, **options)
        bound.apply_defaults()
        opts = bound.arguments
        llm, concurrency, shard, limit = (opts[k] for k in ("llm", "concurrency", "shard", "limit"))

        out_path = shard_path(Path(output), shard)
        err_path = out_path.with_suffix(".errors.jsonl")
        drop_path = dropped_path(out_path)
        inputs = load_inputs(records, shard)
        sweep_temps(out_path.parent, [p.name for p in (out_path, err_path, drop_path)])
        summary, pending = _plan(stage, inputs, out_path, drop_path)
        if limit is not None:
            pending = pending[:limit]
        if (watch := watching()) is not None:
            watch.stages.append(summary)
        err_path.unlink(missing_ok=True)  # errors of earlier runs are retried now
        width = concurrency or (llm.default_concurrency if llm else 8)
        with (
            JsonlAppender(out_path) as out,
            JsonlAppender(err_path) as errors,
            JsonlAppender(drop_path) as drops,
            Progress(summary, quiet=opts["quiet"], todo=len(pending)) as progress,
        ):
            sinks = {DONE: out, DROPPED: drops, FAILED: errors}
            model = _shipped(llm, self.model)
            todo = [record for _, record in pending]
            for pack in self.stream(stage, todo, model, width) if todo else ():
                pack.write(sinks)
                pack.count(summary, progress)
        _tidy(out_path, (err_path, drop_path), [rid for rid, _ in inputs], summary)
        if summary.failed:
            summary.error_rows = str(err_path)
        return summary


def executor_for(config: Any) -> RayExecutor | None:
    """The executor a job config asks for (``executor``, ``ray_address``, ``ray_actors``);
    None for the local one (``run_stage`` runs the stage itself)."""
    if getattr(config, "executor", "local") != "ray":
        return None
    require_ray()
    return RayExecutor(
        address=getattr(config, "ray_address", None),
        actors=getattr(config, "ray_actors", None),
        model=getattr(config, "model", None),
    )


@contextmanager
def executing(config: Any) -> Iterator[RayExecutor | None]:
    """Run the ``run_stage`` calls made inside on the executor ``config`` asks for.

    ``Job.run`` uses it; a command that calls ``run_stage`` itself (outside ``Job.run``) wraps
    those calls in it to honour ``--executor``.
    """
    executor = executor_for(config)
    token = EXECUTOR.set(executor)
    try:
        yield executor
    finally:
        EXECUTOR.reset(token)

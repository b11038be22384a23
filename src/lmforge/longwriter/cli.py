"""``lmforge longwriter``: write (AgentWrite), bench (LongBench-Write), ruler (LongWrite-Ruler).

Thin on purpose: options become a config (``--config`` YAML, ``--set key=value``, then the
options given), the library does the work. Library imports live inside the commands so that
``lmforge --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lmforge.cli_options import (
    ConcurrencyOpt,
    ConfigOpt,
    MaxTokensOpt,
    ModelOpt,
    OutOpt,
    QuietOpt,
    SeedOpt,
    SetOpt,
    TemperatureOpt,
    default_model,
    generation_overrides,
    run_dir,
)

app = typer.Typer(
    help="LongWriter: AgentWrite long-output data, LongBench-Write scoring, LongWrite-Ruler.",
    no_args_is_help=True,
)


def _run_dir(out: Path | None) -> Any:
    return run_dir(out, "longwriter")


@app.command()
def write(
    instruction: Annotated[str | None, typer.Argument(help="One writing instruction.")] = None,
    input: Annotated[
        Path | None, typer.Option("--input", "-i", help="JSONL: prompt, optional length.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="SFT JSONL.")] = None,
    model: ModelOpt = None,
    length: Annotated[int | None, typer.Option(help="Required length of INSTRUCTION.")] = None,
    parallel: Annotated[
        bool | None, typer.Option("--parallel", help="Ablation: paragraphs independently.")
    ] = None,
    max_steps: Annotated[int | None, typer.Option(help="Skip plans with more steps.")] = None,
    plan_max_tokens: Annotated[int | None, typer.Option(help="Token limit of the plan.")] = None,
    tokens_per_planned_word: Annotated[
        float | None, typer.Option(help="Cap paragraphs at N tokens per planned word.")
    ] = None,
    max_tokens: MaxTokensOpt = None,
    temperature: TemperatureOpt = None,
    seed: SeedOpt = None,
    concurrency: ConcurrencyOpt = None,
    out: OutOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """AgentWrite: plan, then write paragraph by paragraph; SFT rows (LongWriter-6k format)."""
    import asyncio

    from lmforge.config import load_config
    from lmforge.llm.registry import get_llm

    from .agentwrite_run import AgentWriteConfig, run_agentwrite

    cfg = load_config(
        AgentWriteConfig,
        config,
        set_,
        input=input,
        instruction=instruction,
        output=output,
        model=model,
        length=length,
        concurrency=concurrency,
        **{
            "options.parallel": parallel,
            "options.max_steps": max_steps,
            "options.plan_max_tokens": plan_max_tokens,
            "options.tokens_per_planned_word": tokens_per_planned_word,
            **generation_overrides(max_tokens, temperature, seed),
        },
    )
    cfg.model = default_model(cfg.model)
    run = _run_dir(out)
    summary = asyncio.run(run_agentwrite(cfg, get_llm(cfg.model), run, quiet=quiet))
    if cfg.instruction is not None:
        _print_single(run)
    for key in ("kept", "dropped", "output_words", "failed", "llm_calls"):
        typer.echo(f"{key}: {summary.get(key)}", err=True)
    typer.echo(f"wall_s: {summary.get('wall_s', 0):.2f}", err=True)
    typer.echo(f"run: {run.path}", err=True)


def _print_single(run: Any) -> None:
    from lmforge.pipeline.records import read_jsonl

    path = run / "agentwrite.jsonl"
    rows = read_jsonl(path, allow_empty=True) if path.exists() else []
    for row in rows:
        if row.get("messages"):
            typer.echo(row["messages"][-1]["content"])
        else:
            typer.echo(f"dropped: {(row.get('_meta') or {}).get('dropped')}", err=True)


@app.command()
def bench(
    predictions: Annotated[
        Path | None, typer.Option(help="JSONL rows: prompt, length (required), response.")
    ] = None,
    model: ModelOpt = None,
    data: Annotated[
        Path | None, typer.Option(help="LongBench-Write prompts, answered by --model.")
    ] = None,
    judge: Annotated[str | None, typer.Option(help="Quality judge model spec.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N rows.")] = None,
    official: Annotated[
        bool | None, typer.Option("--official", help="Official quirks (see docs).")
    ] = None,
    failures: Annotated[
        str | None, typer.Option(help="Unjudged rows: zero (default) or drop (official).")
    ] = None,
    judge_attempts: Annotated[int | None, typer.Option(help="Judge asks per row.")] = None,
    max_tokens: MaxTokensOpt = None,
    temperature: TemperatureOpt = None,
    concurrency: ConcurrencyOpt = None,
    out: OutOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """LongBench-Write: length score S_l (and S_q, S with --judge) of predictions or a model."""
    import asyncio

    from lmforge.config import load_config
    from lmforge.llm.registry import get_llm

    from .longbench_write import LongBenchWriteConfig, run_longbench_write
    from .report import score_lines

    cfg = load_config(
        LongBenchWriteConfig,
        config,
        set_,
        predictions=predictions,
        data=data,
        model=model,
        judge=judge,
        limit=limit,
        official=official,
        failures=failures,
        judge_attempts=judge_attempts,
        concurrency=concurrency,
        **generation_overrides(max_tokens, temperature),
    )
    llm = get_llm(cfg.model) if cfg.model else None
    judge_llm = get_llm(cfg.judge) if cfg.judge else None
    run = _run_dir(out)
    scores = asyncio.run(run_longbench_write(cfg, run, llm=llm, judge=judge_llm, quiet=quiet))
    for line in score_lines(scores):
        typer.echo(line)
    failed = run.read_summary().get("failed")
    if failed:
        typer.echo(f"failed: {failed} rows (reasons in {run.path}/*/records.errors.jsonl)")
    typer.echo(f"run: {run.path}")


@app.command()
def ruler(
    model: ModelOpt = None,
    data: Annotated[
        Path | None, typer.Option(help="longwrite_ruler.jsonl; default: built-in prompts.")
    ] = None,
    lengths: Annotated[
        str | None, typer.Option(help="Required lengths to keep, e.g. 1000,2000.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N prompts.")] = None,
    max_tokens: MaxTokensOpt = None,
    temperature: TemperatureOpt = None,
    concurrency: ConcurrencyOpt = None,
    out: OutOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """LongWrite-Ruler: how long a model actually writes when asked for 1k ... 30k words."""
    import asyncio

    from lmforge.config import load_config
    from lmforge.errors import InputError
    from lmforge.llm.registry import get_llm

    from .report import ruler_lines
    from .ruler import RulerConfig, run_ruler

    try:
        wanted = [int(x) for x in lengths.split(",")] if lengths else None
    except ValueError:
        raise InputError(f"--lengths {lengths!r}: expected numbers like 1000,2000") from None
    cfg = load_config(
        RulerConfig,
        config,
        set_,
        model=model,
        data=data,
        lengths=wanted,
        limit=limit,
        concurrency=concurrency,
        **generation_overrides(max_tokens, temperature),
    )
    cfg.model = default_model(cfg.model)
    run = _run_dir(out)
    scores = asyncio.run(run_ruler(cfg, get_llm(cfg.model), run, quiet=quiet))
    for line in ruler_lines(scores):
        typer.echo(line)
    typer.echo(f"run: {run.path}")

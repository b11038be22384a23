"""``lmforge rmbench``: run a scorer over RM-Bench, or recompute the table from score files.

Thin on purpose: options become an :class:`~lmforge.rmbench.run.RMBenchConfig` and a library
call; heavy imports happen inside the commands so ``lmforge --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmforge.cli_options import QuietOpt, SetOpt

app = typer.Typer(
    help="RM-Bench: reward models against subtle errors and style bias (chat, math, code, safety).",
    no_args_is_help=True,
)

Truncated = Annotated[
    str | None,
    typer.Option(help="keep: the official metric; drop: leave out cut-off responses' pairs."),
]


ScorerOpt = Annotated[
    str | None, typer.Option("--scorer", "-s", help="Scorer spec (`lmforge rmbench scorers`).")
]
DataOpt = Annotated[
    list[Path] | None,
    typer.Option(help="Folder of *_filtered.json, or a file; repeatable [$LMFORGE_RMBENCH_DATA]."),
]
DomainsOpt = Annotated[
    str | None, typer.Option(help="Comma list: chat,math,code,safety (default: all found).")
]
RefFreeOpt = Annotated[str | None, typer.Option(help="DPO without REF: avg (default), sum, norm.")]


@app.command()
def run(
    scorer: ScorerOpt = None,
    data: DataOpt = None,
    domains: DomainsOpt = None,
    out: Annotated[Path | None, typer.Option(help="Run folder (reuse one to resume).")] = None,
    limit: Annotated[int | None, typer.Option(help="First N samples of each domain.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Responses per forward pass.")] = None,
    max_length: Annotated[int | None, typer.Option(help="Tokens kept per sequence.")] = None,
    ref_free: RefFreeOpt = None,
    judge_max_tokens: Annotated[int | None, typer.Option(help="Judge answer budget.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of judge requests.")] = None,
    truncated: Truncated = None,
    concurrency: Annotated[int | None, typer.Option(help="Records in flight.")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML config.")] = None,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
    no_report: Annotated[bool, typer.Option("--no-report", help="Skip report.html.")] = False,
) -> None:
    """Score every sample, then print `DOMAIN: easy= normal= hard= avg=` lines and `overall:`."""
    import asyncio

    from lmforge.config import load_config

    from .run import RMBenchConfig, run_rmbench

    cfg = load_config(
        RMBenchConfig,
        config,
        set_,
        scorer=scorer,
        data=data or None,
        domains=[d.strip() for d in domains.split(",") if d.strip()] if domains else None,
        limit=limit,
        truncated=truncated,
        concurrency=concurrency,
        **{
            "scoring.batch_size": batch_size,
            "scoring.max_length": max_length,
            "scoring.ref_free": ref_free,
            "scoring.judge_max_tokens": judge_max_tokens,
            "scoring.seed": seed,
        },
    )
    result = asyncio.run(run_rmbench(cfg, out=out, quiet=quiet, report=not no_report))
    for line in result.lines():
        typer.echo(line)
    _notes(result.scores.missing, result.failed, result.path)


def _notes(missing: list[str], failed: int, path: Path | None) -> None:
    """What a reader of the numbers must know, on stderr so stdout stays the table."""
    if missing:
        typer.echo(
            f"note: not run: {', '.join(missing)}; overall averages the domains above only",
            err=True,
        )
    if failed:
        typer.echo(f"note: {failed} samples failed and are left out (see *.errors.jsonl)", err=True)
    if path is not None:
        typer.echo(f"run: {path}", err=True)


@app.command()
def score(
    scores: Annotated[
        Path, typer.Option("--scores", help="Per-sample scores: official result JSON or JSONL.")
    ],
    domain: Annotated[
        str | None, typer.Option(help="Domain of rows without one (else from the file name).")
    ] = None,
    truncated: Truncated = "keep",
) -> None:
    """Recompute the table from score_chosen/score_rejected (no model needed)."""
    from .run import score_results

    if truncated not in ("keep", "drop"):
        raise typer.BadParameter("keep or drop", param_hint="--truncated")
    table = score_results(scores, domain=domain, truncated=truncated)  # type: ignore[arg-type]
    from .metric import format_lines

    for line in format_lines(table):
        typer.echo(line)
    _notes(table.missing, 0, None)


@app.command()
def scorers() -> None:
    """List the scorer specs."""
    from .scorers import SCORER_HELP

    for spec, text in SCORER_HELP:
        typer.echo(f"{spec:22} {text}")

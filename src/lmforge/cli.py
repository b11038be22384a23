"""``lmforge``: one Typer app; each system adds its sub-app from its own ``cli.py``.

Heavy libraries are imported inside commands so that ``lmforge --help`` answers at once.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from .cli_options import ConfigOpt, ModelOpt, SetOpt
from .errors import InputError, LMForgeError

app = typer.Typer(
    help="lmforge: ten LLM research systems on one core. `lmforge models` lists model specs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
cache_app = typer.Typer(help="The SQLite cache of LLM calls.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")

#: System sub-apps: name -> module with a Typer ``app``. Missing modules are skipped.
SYSTEMS = (
    "crab",
    "longwriter",
    "longcite",
    "longreward",
    "rmbench",
    "openep",
    "mavenfact",
    "distill",
    "classroom",
)


def _import_systems(suffix: str = "") -> dict[str, object]:
    """Import ``lmforge.<system><suffix>`` for every system that is present."""
    found = {}
    for name in SYSTEMS:
        try:
            found[name] = importlib.import_module(f"lmforge.{name}{suffix}")
        except ModuleNotFoundError as exc:
            if not (exc.name and exc.name.startswith(f"lmforge.{name}")):
                raise
    return found


def _add_systems() -> None:
    for name, module in _import_systems(".cli").items():
        app.add_typer(module.app, name=name)


@app.command()
def models() -> None:
    """List the model backends and how to select them."""
    from rich.console import Console
    from rich.table import Table

    from .config import get_settings
    from .llm.registry import SPEC_HELP

    table = Table(title=f"model specs (default: {get_settings().model}; set LMFORGE_MODEL)")
    table.add_column("--model")
    table.add_column("what")
    for spec, text in SPEC_HELP:
        table.add_row(spec, text)
    Console().print(table)


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="The user message.")],
    model: ModelOpt = None,
    max_tokens: Annotated[int, typer.Option(help="Most tokens to generate.")] = 512,
    temperature: float = 0.0,
    seed: int = 0,
    system: Annotated[str | None, typer.Option(help="Optional system message.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Bypass the call cache.")] = False,
) -> None:
    """Generate a completion and stream it to stdout."""
    import asyncio

    from .llm.registry import get_llm
    from .llm.types import GenerateConfig, Message

    llm = get_llm(model, cache=not no_cache)
    messages = ([Message(role="system", content=system)] if system else []) + [
        Message(role="user", content=prompt)
    ]
    config = GenerateConfig(max_tokens=max_tokens, temperature=temperature, seed=seed)

    async def run() -> None:
        async for piece in llm.stream(messages, config):
            sys.stdout.write(piece)
            sys.stdout.flush()
        sys.stdout.write("\n")
        await llm.aclose()

    asyncio.run(run())


@app.command("serve-model")
def serve_model(
    model: Annotated[
        str, typer.Option("--model", "-m", help="An embedded model, or hf:PATH (vision too).")
    ] = "embedded",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    host: Annotated[str, typer.Option(help="Interface; loopback by default.")] = "127.0.0.1",
    parallel: Annotated[
        int | None, typer.Option(help="Parallel decoding slots (embedded only).")
    ] = None,
    ctx: Annotated[
        int | None, typer.Option(help="Context tokens per request (embedded only).")
    ] = None,
) -> None:
    """Serve a model over the OpenAI API: embedded ones by llama.cpp's own HTTP server, hf:PATH
    (transformers, image-text models included) by lmforge's FastAPI app."""
    from .llm.serve import serve_forever

    serve_forever(model, host=host, port=port, parallel=parallel, n_ctx=ctx)


@cache_app.command("stats")
def cache_stats() -> None:
    """Entries per model, file and size."""
    from .llm.registry import get_cache

    stats = get_cache().stats()
    typer.echo(f"path: {stats.path}")
    typer.echo(f"entries: {stats.entries}")
    typer.echo(f"size_bytes: {stats.size_bytes}")
    for model_spec, count in sorted(stats.models.items()):
        typer.echo(f"  {model_spec}: {count}")


@cache_app.command("clear")
def cache_clear(
    model: Annotated[str | None, typer.Option(help="Only this model spec's entries.")] = None,
) -> None:
    """Delete cached calls."""
    from .llm.registry import get_cache

    typer.echo(f"deleted: {get_cache().clear(model)}")


@app.command()
def batch(
    input: Annotated[Path | None, typer.Option("--input", "-i", help="JSONL rows.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output JSONL.")] = None,
    model: ModelOpt = None,
    field: Annotated[str | None, typer.Option(help="Row field holding the prompt.")] = None,
    system: Annotated[str | None, typer.Option(help="System message for every row.")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Most tokens per answer.")] = None,
    temperature: float | None = None,
    seed: int | None = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight.")] = None,
    shard: Annotated[str | None, typer.Option(help="Run only shard i of n, as i/n.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Run directory (reuse one to resume).")
    ] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """One completion per JSONL row (resumable; `--shard i/n` for many machines)."""
    import asyncio

    from .config import get_settings, load_config
    from .llm.registry import get_llm
    from .pipeline.batch import BatchConfig, run_batch
    from .pipeline.rundir import RunDir
    from .pipeline.shards import parse_shard

    cfg = load_config(
        BatchConfig,
        config,
        set_,
        input=input,
        output=output,
        model=model,
        field=field,
        system=system,
        concurrency=concurrency,
        shard=parse_shard(shard),
        **{
            "generation.max_tokens": max_tokens,
            "generation.temperature": temperature,
            "generation.seed": seed,
        },
    )
    if cfg.model is None:
        cfg.model = get_settings().model
    run = RunDir(out) if out else RunDir.create("batch")
    asyncio.run(run_batch(cfg, get_llm(cfg.model), run, quiet=quiet))


@app.command()
def merge(
    inputs: Annotated[list[Path], typer.Argument(help="Shard outputs, or one folder of them.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Merged JSONL.")],
) -> None:
    """Join the outputs of `--shard i/n` runs into one file (each id once)."""
    from .pipeline.shards import merge_jsonl, shard_files

    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            found = shard_files(item, "records.jsonl") or shard_files(item, "final.jsonl")
            if not found:
                raise InputError("no shard outputs (*.shard-i-of-n.jsonl) in folder", path=item)
            files += found
        else:
            files.append(item)
    written, dropped = merge_jsonl(files, output)
    typer.echo(f"merged {len(files)} files: {written} records, {dropped} duplicates dropped")


@app.command()
def benchmarks() -> None:
    """List the registered benchmarks of every installed system."""
    from .evaluation.benchmark import list_benchmarks

    _import_systems(".benchmarks")  # each system's benchmarks module registers on import
    found = list_benchmarks()
    if not found:
        typer.echo("no benchmarks registered yet")
    for bench, doc in found.items():
        typer.echo(f"{bench}: {doc}")


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A runs/<what>/<timestamp> folder.")],
) -> None:
    """Render RUN_DIR/report.html: config, summary, samples, errors and plots in one file."""
    from .evaluation.report import render_report

    if not run_dir.is_dir():
        raise InputError("not a run directory", path=run_dir)
    _import_systems(".report")  # systems register their report sections on import
    typer.echo(str(render_report(run_dir)))


def main() -> None:
    """Entry point: library errors become one line on stderr and a non-zero exit."""
    _add_systems()
    try:
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except InputError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except LMForgeError as exc:
        sys.stderr.write(f"error: {type(exc).__name__}: {exc}\n")
        sys.exit(1)
    except Exception as exc:
        # usage errors (typer ships its own click copy, so test by shape, not by class)
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()

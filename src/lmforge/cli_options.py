"""Typer option types shared by every ``lmforge`` command, so each flag reads the same everywhere.

System CLIs import these instead of redeclaring them; a flag's spelling and help live here once.
Only typer is imported: this module is loaded by ``lmforge --help``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Model spec (lmforge models).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Run directory (reuse one to resume).")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML config; options below override it.")
]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="Override a config key: key.sub=value.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
MaxTokensOpt = Annotated[int | None, typer.Option(help="Most new tokens per call.")]
TemperatureOpt = Annotated[float | None, typer.Option(help="Sampling temperature.")]
SeedOpt = Annotated[int | None, typer.Option(help="Seed (sampling, shuffles).")]
ConcurrencyOpt = Annotated[int | None, typer.Option(help="Records in flight.")]
LimitOpt = Annotated[int | None, typer.Option(help="Only the first N records.")]


def default_model(spec: str | None) -> str:
    """The spec given, else the configured default (``LMFORGE_MODEL``, else ``embedded``)."""
    from lmforge.config import get_settings

    return spec or get_settings().model


def run_dir(out: Path | None, system: str) -> Any:
    """The run directory asked for (resumable), else a new timestamped one under ``runs/``."""
    from lmforge.pipeline.rundir import RunDir

    return RunDir(out) if out else RunDir.create(system)


def generation_overrides(
    max_tokens: int | None = None, temperature: float | None = None, seed: int | None = None
) -> dict[str, Any]:
    """The ``generation.*`` config keys set by the shared generation options (None = not given)."""
    return {
        "generation.max_tokens": max_tokens,
        "generation.temperature": temperature,
        "generation.seed": seed,
    }

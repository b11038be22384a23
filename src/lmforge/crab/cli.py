"""``lmforge crab``: back-translate constraints, compose training data, score IFEval/FollowBench.

Thin on purpose: options become configs or library calls; imports of the heavy parts happen
inside the commands so that ``lmforge --help`` stays instant.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from lmforge.cli_options import (
    ConcurrencyOpt,
    ConfigOpt,
    LimitOpt,
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
    help="CRAB: constraint back-translation, verifiable constraints, IFEval and FollowBench.",
    no_args_is_help=True,
)

InputOpt = Annotated[Path | None, typer.Option("--input", "-i", help="Input JSONL.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Output JSONL.")]


@app.command()
def backtranslate(
    input: InputOpt = None,
    output: OutputOpt = None,
    model: ModelOpt = None,
    seed: SeedOpt = None,
    faithful_quirks: Annotated[
        bool | None, typer.Option("--faithful-quirks", help="Official Word/Paragraph defects.")
    ] = None,
    official_parsing: Annotated[
        bool | None, typer.Option("--official-parsing", help="Official reply parsing (Q6).")
    ] = None,
    max_tokens: MaxTokensOpt = None,
    temperature: TemperatureOpt = None,
    concurrency: ConcurrencyOpt = None,
    out: OutOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write down the constraints each response already meets (rows: instruction, response)."""
    from lmforge.config import load_config
    from lmforge.llm.registry import get_llm

    from .backtranslate import BacktranslateConfig, run_backtranslate

    cfg = load_config(
        BacktranslateConfig,
        config,
        set_,
        input=input,
        output=output,
        model=model,
        seed=seed,
        faithful_quirks=faithful_quirks,
        official_parsing=official_parsing,
        concurrency=concurrency,
        **generation_overrides(max_tokens, temperature),
    )
    if cfg.input is None:
        raise typer.BadParameter("give --input PAIRS.jsonl", param_hint="--input")
    cfg.model = default_model(cfg.model)
    run = run_dir(out, "crab-backtranslate")
    summary = asyncio.run(run_backtranslate(cfg, get_llm(cfg.model), run, quiet=quiet))
    for key in ("pairs", "kept", "dropped", "failed"):
        typer.echo(f"{key}: {summary[key]}")
    typer.echo(f"run: {run.path}", err=True)


@app.command()
def compose(
    input: InputOpt = None,
    output: OutputOpt = None,
    reverse_rate: Annotated[float, typer.Option(help="Share of reverse examples.")] = 0.3,
    seed: Annotated[int, typer.Option(help="Seed of every draw (official: 36).")] = 36,
    max_num: Annotated[
        int | None, typer.Option(help="At most N CRAB examples (paper: 13500; default: all).")
    ] = None,
    extra: Annotated[
        Path | None, typer.Option(help="Extra conversations to mix in (ShareGPT or messages).")
    ] = None,
    extra_num: Annotated[int, typer.Option(help="How many extra conversations.")] = 53000,
    faithful_quirks: Annotated[
        bool, typer.Option("--faithful-quirks", help="Official unescaped JSON targets (Q7).")
    ] = False,
    stages_dir: Annotated[
        Path | None, typer.Option(help="Also write forward/reverse/shot map here.")
    ] = None,
) -> None:
    """Forward + reverse training conversations (TRL messages) from back-translated items."""
    from .compose import compose_file

    if input is None or output is None:
        raise typer.BadParameter("give --input OUT.jsonl and --output TRAIN.jsonl")
    counts = compose_file(
        input,
        output,
        reverse_rate=reverse_rate,
        seed=seed,
        max_num=max_num,
        faithful_quirks=faithful_quirks,
        extra_path=extra,
        extra_num=extra_num,
        stages_dir=stages_dir,
    )
    for key in ("items", "forward", "reverse", "extra", "rows"):
        typer.echo(f"{key}: {counts[key]}")
    typer.echo(f"output: {output}", err=True)


@app.command()
def ifeval(
    inputs: Annotated[Path, typer.Option(help="IFEval input_data.jsonl.")],
    responses: Annotated[
        Path | None, typer.Option(help="JSONL rows: prompt, response (official format).")
    ] = None,
    model: ModelOpt = None,
    max_tokens: MaxTokensOpt = None,
    limit: LimitOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Score IFEval responses (strict/loose, prompt/instruction level), or a model's."""
    from lmforge.benchmarks.ifeval import (
        format_report,
        load_ifeval_inputs,
        load_responses,
        score_ifeval,
    )
    from lmforge.pipeline.records import write_jsonl

    rows = load_ifeval_inputs(inputs)[:limit]
    if responses is None:
        responses = _respond(
            [{"id": str(r.key), "prompt": r.prompt} for r in rows],
            model,
            max_tokens,
            out,
            "crab-ifeval",
            quiet,
        )
    report = score_ifeval(rows, load_responses(responses))
    for line in format_report(report):
        typer.echo(line)
    if out is not None:
        write_jsonl(out / "results.jsonl", (r.to_dict() for r in report.rows))


def _respond(
    rows: list[dict],
    model: str | None,
    max_tokens: int | None,
    out: Path | None,
    system: str,
    quiet: bool,
) -> Path:
    """Answer ``rows`` with ``model`` into the run directory; the path of the answers."""
    from lmforge.llm.registry import get_llm
    from lmforge.llm.types import GenerateConfig

    from .respond import generate_responses

    run = run_dir(out, system)
    target = run / "responses.jsonl"
    config = GenerateConfig(max_tokens=max_tokens or 1024, temperature=0.0)
    llm = get_llm(default_model(model))
    asyncio.run(generate_responses(rows, llm, target, generation=config, quiet=quiet))
    typer.echo(f"run: {run.path}", err=True)
    return target


@app.command()
def followbench(
    responses: Annotated[
        Path | None, typer.Option(help="JSONL rows: example_id, category, level, response.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="FollowBench folder [$LMFORGE_FOLLOWBENCH_DATA].")
    ] = None,
    judge: Annotated[
        str | None, typer.Option(help="Judge model spec for LLM-judged items.")
    ] = None,
    model: ModelOpt = None,
    limit: LimitOpt = None,
    out: OutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """FollowBench HSR/SSR/CSL per level: rule-checked subsets by code, the rest by --judge."""
    from lmforge.benchmarks.followbench import format_fb_report, load_fb_responses, load_followbench
    from lmforge.benchmarks.followbench import score_followbench as score
    from lmforge.llm.registry import get_llm

    items = load_followbench(_followbench_dir(data))[:limit]
    if responses is None:
        responses = _respond(
            [
                {
                    "id": _fb_id(i),
                    "prompt": i.instruction,
                    "example_id": i.example_id,
                    "category": i.category,
                    "level": i.level,
                }
                for i in items
            ],
            model,
            None,
            out,
            "crab-followbench",
            quiet,
        )
    judge_llm = get_llm(judge) if judge else None
    report = asyncio.run(score(items, load_fb_responses(responses, items), judge_llm))
    for line in format_fb_report(report):
        typer.echo(line)


def _fb_id(item: object) -> str:
    return f"{item.category}-{item.example_id}-{item.level}"  # type: ignore[attr-defined]


def _followbench_dir(data: Path | None) -> Path:
    import os

    from lmforge.errors import InputError

    found = data or os.environ.get("LMFORGE_FOLLOWBENCH_DATA")
    if not found:
        raise InputError("give --data FOLDER (FollowBench JSON files) or LMFORGE_FOLLOWBENCH_DATA")
    return Path(found)


@app.command("train-sft")
def train_sft(
    data: Annotated[Path, typer.Option(help="JSONL of TRL messages (compose output).")],
    model: Annotated[str, typer.Option("--model", "-m", help="hf:PATH of a local causal LM.")],
    output_dir: Annotated[Path, typer.Option(help="Where checkpoints go.")] = Path("runs/sft"),
    epochs: Annotated[float, typer.Option(help="Epochs (CRAB: 4).")] = 4.0,
    max_steps: Annotated[int, typer.Option(help="Stop after N steps (-1: epochs).")] = -1,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate.")] = 2e-5,
    batch_size: Annotated[int, typer.Option(help="Per-device batch size.")] = 4,
    max_length: Annotated[int, typer.Option(help="Tokens per example.")] = 2048,
) -> None:
    """Supervised fine-tuning on the composed conversations (TRL SFTTrainer)."""
    from lmforge.training.sft import SFTRecipe
    from lmforge.training.sft import train_sft as train

    result = train(
        SFTRecipe(
            data=data,
            model=model,
            output_dir=output_dir,
            epochs=epochs,
            max_steps=max_steps,
            learning_rate=learning_rate,
            batch_size=batch_size,
            max_length=max_length,
        )
    )
    typer.echo(f"steps: {result['steps']}")
    typer.echo(f"train_loss: {result['train_loss']:.4f}")
    typer.echo(f"model: {result['model']}")

"""``lmforge classroom``: deck pages, lecture preparation (Read + Plan), the terminal lecture,
and the LecEval script-quality scorer.

Thin on purpose: options become library calls; heavy imports happen inside the commands so that
``lmforge --help`` stays instant.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from lmforge.cli_options import (
    ConfigOpt,
    LimitOpt,
    ModelOpt,
    QuietOpt,
    SetOpt,
    default_model,
)

app = typer.Typer(
    help="Slide2Lecture: slides to a teaching agenda to a regulated interactive lecture.",
    no_args_is_help=True,
)

DeckArg = Annotated[Path, typer.Argument(help="A .pptx or .pdf deck.")]


@app.command()
def pages(
    deck: DeckArg,
    images: Annotated[Path | None, typer.Option(help="Also render page PNGs here.")] = None,
) -> None:
    """Each page's extracted text, then `pages: N`."""
    from .ingest import format_pages, load_deck

    for line in format_pages(load_deck(deck, images_dir=images)):
        typer.echo(line)


@app.command()
def prepare(
    deck: DeckArg,
    model: ModelOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Agenda JSON (default: DECK.lecture.json).")
    ] = None,
    images: Annotated[
        Path | None,
        typer.Option(help="Render page PNGs here (default for a vision model: DECK.pages/)."),
    ] = None,
    page_images: Annotated[
        bool, typer.Option(help="Show a vision model the page images (text models never).")
    ] = True,
    describe: Annotated[
        str | None,
        typer.Option(help="model: describe pages with the model; extract: from the text."),
    ] = None,
    outline: Annotated[
        str | None, typer.Option(help="model: incremental outline builder; rule: deterministic.")
    ] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Read + Plan: describe pages, build the outline, write scripts and questions."""
    from lmforge.config import load_config
    from lmforge.llm.registry import get_llm

    from .ingest import load_deck
    from .prepare import PrepareConfig, prepare_with_report, save_agenda
    from .prepare.progress import StageProgress
    from .prepare.validate import validate_agenda

    overrides = [*(set_ or []), *([] if page_images else ["plan.images=false"])]
    cfg = load_config(PrepareConfig, config, overrides, describe=describe, outline=outline)
    llm = get_llm(default_model(model))
    if images is None and cfg.plan.images and llm.supports_images:
        images = deck.with_name(f"{deck.stem}.pages")
    loaded = load_deck(deck, images_dir=images)
    with StageProgress(quiet=quiet) as progress:
        agenda, report = asyncio.run(
            prepare_with_report(loaded, llm, progress=progress.update, config=cfg)
        )
    target = save_agenda(agenda, out or deck.with_suffix(".lecture.json"))
    problems = validate_agenda(agenda, loaded)
    sections = agenda.sections()
    questions = sum(1 for page in agenda.pages() for f in page.functions if f.call == "AskQuestion")
    typer.echo(f"pages: {len(loaded.pages)}")
    typer.echo(f"sections: {len(sections)}")
    typer.echo(f"questions: {questions}")
    typer.echo(f"problems: {len(problems)}")
    for problem in problems:
        typer.echo(f"  {problem}", err=True)
    for stage in report.stages:
        typer.echo(
            f"{stage.stage}: wall_s={stage.wall_s:.2f} model_s={stage.model_s:.2f} "
            f"calls={stage.calls} fallbacks={stage.fallbacks}",
            err=True,
        )
    typer.echo(f"agenda: {target}")


@app.command()
def regenerate(
    agenda: Annotated[Path, typer.Argument(help="lecture.json to edit in place.")],
    deck: DeckArg,
    page: Annotated[int, typer.Option(help="Page whose script or questions to redo.")],
    what: Annotated[str, typer.Option(help="script or questions.")] = "script",
    model: ModelOpt = None,
) -> None:
    """Regenerate one page's script or questions, keeping the rest of a (hand-edited) agenda."""
    from lmforge.llm.registry import get_llm

    from .ingest import load_deck
    from .prepare import load_agenda, save_agenda
    from .prepare.plan import regenerate_page

    if what not in ("script", "questions"):
        raise typer.BadParameter("script or questions", param_hint="--what")
    current = load_agenda(agenda)
    llm = get_llm(default_model(model))
    updated = asyncio.run(regenerate_page(current, load_deck(deck), page, what, llm))
    save_agenda(updated, agenda)
    for function in updated.page(page).functions:
        if function.call == "ReadScript":
            typer.echo(f"script: {function.script}")
        elif function.call == "AskQuestion":
            typer.echo(f"question: {function.question.question}")


@app.command()
def lecture(
    agenda: Annotated[Path, typer.Argument(help="lecture.json from `classroom prepare`.")],
    model: ModelOpt = None,
    mode: Annotated[
        str, typer.Option(help="interactive: wait for you; continuous: go on when you are quiet.")
    ] = "interactive",
    activation: Annotated[
        str, typer.Option(help="Classmates' unprompted turns: low, middle or high.")
    ] = "middle",
    student: Annotated[
        str | None,
        typer.Option(
            help="A simulated student instead of you: silent, on_topic, off_topic, abusive."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the activation rolls.")] = 0,
) -> None:
    """A terminal lecture: type to ask, Enter to go on, letters to answer a quiz, /quit."""
    from lmforge.llm.registry import get_llm

    from .teach import TeachConfig, run_terminal_lecture

    if mode not in ("interactive", "continuous"):
        raise typer.BadParameter("interactive or continuous", param_hint="--mode")
    if activation not in ("low", "middle", "high"):
        raise typer.BadParameter("low, middle or high", param_hint="--activation")
    llm = get_llm(default_model(model))
    config = TeachConfig(seed=seed)
    if student is not None:
        _simulated_lecture(agenda, llm, student, mode, activation, config)
        return
    state = asyncio.run(
        run_terminal_lecture(agenda, llm, mode=mode, activation=activation, config=config)
    )
    right = sum(1 for q in state.quiz_answers if q.correct)
    typer.echo(f"quiz: {right}/{len(state.quiz_answers)} correct", err=True)


def _simulated_lecture(
    path: Path, llm: object, student: str, mode: str, activation: str, config: object
) -> None:
    """Run the lecture with a simulated student and print the transcript and the figures."""
    from .prepare import load_agenda
    from .teach import STUDENTS, simulate_lectures
    from .teach.terminal import render

    if student not in STUDENTS:
        raise typer.BadParameter(", ".join(sorted(STUDENTS)), param_hint="--student")
    sessions, reports = asyncio.run(
        simulate_lectures(
            load_agenda(path), llm, [student], mode=mode, activation=activation, config=config
        )
    )
    for message in sessions[0].state.messages:
        if message.action in ("user_message", "user_answer"):
            typer.echo(f"[{student} student] {message.content}")
        else:
            typer.echo(render(message))
    for key, value in reports[0].model_dump().items():
        typer.echo(f"{key}: {value}", err=True)


@app.command()
def leceval(
    data: Annotated[
        Path | None,
        typer.Option(help="LecEval folder of *_metadata.jsonl [$LMFORGE_LECEVAL_DATA]."),
    ] = None,
    judge: Annotated[str | None, typer.Option(help="Also rate scripts with this model.")] = None,
    limit: LimitOpt = None,
) -> None:
    """Spearman of script-quality scorers against LecEval's human ratings, per rubric."""
    import os

    from lmforge.errors import InputError
    from lmforge.llm.registry import get_llm

    from .leceval.judge import judge_scorer
    from .leceval.score import evaluate_leceval, format_leceval, load_leceval, proxy_scores

    folder = data or os.environ.get("LMFORGE_LECEVAL_DATA")
    if not folder:
        raise InputError("give --data FOLDER (LecEval *_metadata.jsonl) or LMFORGE_LECEVAL_DATA")
    rows = load_leceval(folder)
    lines = format_leceval(asyncio.run(evaluate_leceval(rows, proxy_scores, limit)))
    if judge:
        table = asyncio.run(evaluate_leceval(rows, judge_scorer(get_llm(judge)), limit))
        lines += ["", *format_leceval(table, baselines=False)]
    for line in lines:
        typer.echo(line)

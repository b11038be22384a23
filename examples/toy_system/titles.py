"""One stage (a prompt file, an ask-and-parse), one typed config, one registered benchmark."""

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from lmforge.errors import ParseError
from lmforge.evaluation.benchmark import Benchmark, benchmark
from lmforge.inputs import JsonlPath
from lmforge.pipeline import Drop, Job, JobConfig, Stage, ask, load_prompt
from lmforge.pipeline.records import check_rows

PROMPT = load_prompt(Path(__file__).parent / "prompts", "title")


class TitleConfig(JobConfig):
    """Titles for the ``text`` field of every input row."""

    input: JsonlPath
    """JSONL rows with a ``text`` field."""
    output: Path | None = None
    """Where the titled rows go (default: final.jsonl in the run directory)."""
    max_words: int = 6
    """Longer replies are re-asked, then the row is dropped."""


class TextRow(BaseModel):
    """What an input row must hold (checked for every row before any model call)."""

    model_config = ConfigDict(extra="allow")

    text: str


def parse_title(reply: str, max_words: int = 6) -> str:
    words = reply.strip().strip('"').split()
    if not words or len(words) > max_words:
        raise ParseError(f"a title has 1-{max_words} words, got {len(words)}", reply)
    return " ".join(words)


def title_stage(cfg: TitleConfig) -> Stage:
    async def run(row, ctx):
        try:
            got = await ask(ctx, PROMPT.messages(text=row["text"]), parse_title)
        except ParseError as exc:
            return Drop("no usable title", raw=exc.raw)
        return {**row, "title": got}

    return Stage("title", run, prompts=[PROMPT], params={"max_words": cfg.max_words})


def title(cfg: TitleConfig, *, out: Path | None = None, quiet: bool = False) -> dict:
    """Give every text a title of at most six words (dropped rows are counted by reason)."""
    import asyncio

    check_rows(cfg.input, TextRow)  # bad input: one line naming file, line, field; exit 2
    job = Job("toysys-title", cfg, out=out, quiet=quiet)
    summaries = asyncio.run(job.run([title_stage(cfg)], cfg.input))
    summary = job.finish(rows=job.rows(), output=cfg.output)
    return {"titled": summary["rows"], "dropped": sum(s.dropped for s in summaries)}


@benchmark("toy_titles")
def toy_titles() -> Benchmark:
    """Toy titles: does the title reuse a word of the text (two built-in rows)."""
    rows = [{"id": "a", "text": "Cats sleep most of the day."}, {"id": "b", "text": "Rain fell."}]

    async def solve(row, ctx):
        return {**row, "title": (await ctx.generate(PROMPT.messages(text=row["text"]))).text}

    def score(row, ctx):
        words = set(row["text"].lower().split())
        return {"reuses_a_word": any(w in words for w in row["title"].lower().split())}

    return Benchmark("toy_titles", lambda: rows, solve, score)

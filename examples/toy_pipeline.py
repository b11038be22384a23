"""A two-stage toy pipeline: answer each question, then pull keywords out of the answer as JSON.

It shows the pieces every lmforge system is made of: prompt templates, stages run by the
resumable runner, the JSON extraction ladder for model output, a run directory and its report.

    python examples/toy_pipeline.py [--model embedded] [--input examples/toy_questions.jsonl]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from lmforge.llm.registry import get_llm
from lmforge.llm.types import GenerateConfig
from lmforge.pipeline.parse import extract_json
from lmforge.pipeline.prompts import load_prompt
from lmforge.pipeline.rundir import RunDir
from lmforge.pipeline.runner import Stage, StageContext, run_pipeline
from lmforge.pipeline.summary import print_summaries, summaries_dict

PROMPTS = Path(__file__).parent / "prompts"
KEYWORDS_SCHEMA = {
    "type": "object",
    "properties": {"keywords": {"type": "array", "items": {"type": "string"}, "maxItems": 5}},
    "required": ["keywords"],
}


def build_stages() -> list[Stage]:
    answer_prompt = load_prompt(PROMPTS, "answer")
    keywords_prompt = load_prompt(PROMPTS, "keywords")

    async def answer(record: dict, ctx: StageContext) -> dict:
        completion = await ctx.generate(answer_prompt.messages(question=record["question"]))
        return {**record, "answer": completion.text.strip()}

    async def keywords(record: dict, ctx: StageContext) -> dict:
        completion = await ctx.generate(
            keywords_prompt.messages(text=record["answer"]), json_schema=KEYWORDS_SCHEMA
        )
        data = extract_json(completion.text, expect=dict)
        return {**record, "keywords": data["keywords"]}

    return [
        Stage("answer", answer, prompts=[answer_prompt], config=GenerateConfig(max_tokens=60)),
        Stage(
            "keywords", keywords, prompts=[keywords_prompt], config=GenerateConfig(max_tokens=60)
        ),
    ]


async def main(model: str, input_path: Path, out: Path | None) -> int:
    """Run both stages; return the number of records that failed (the exit code says so)."""
    run = RunDir(out) if out else RunDir.create("toy-pipeline")
    run.write_config({"model": model, "input": str(input_path)})
    summaries = await run_pipeline(build_stages(), input_path, run.path, llm=get_llm(model))
    run.write_summary({"what": "toy-pipeline", **summaries_dict(summaries)})
    print_summaries(summaries, title=f"toy pipeline -> {run.path}")
    return sum(s.failed for s in summaries)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--input", type=Path, default=Path(__file__).parent / "toy_questions.jsonl")
    ap.add_argument("--out", type=Path, default=None, help="run directory (reuse to resume)")
    args = ap.parse_args()
    failed = asyncio.run(main(args.model, args.input, args.out))
    if failed:  # as every lmforge command: a finished run with failed records exits 3
        print(f"{failed} records failed; rerun with --out to retry them", file=sys.stderr)
        sys.exit(3)

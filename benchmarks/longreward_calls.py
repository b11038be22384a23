"""Judge calls and wall time per scored response of LongReward's scorer, and what sharing the
chunk information per query saves against extracting it for every response alone.

The paper's design costs 3 + S + C/R calls per response (helpfulness, logicality, fact
extraction, S support checks, and the C chunk extractions of the context shared by the R
responses of its query); scoring each response alone costs 3 + S + C. Both are run in the same
command on the same input with the same judge, call cache off (every call is made):

- ``--judge scripted`` (default): a judge that answers every prompt at once in the official
  formats (two statements per response), on the official example (1 query, 10 responses, a
  41k-character context) when the shared data is there (``LMFORGE_TEST_DATA``), else on
  ``examples/longreward/responses.jsonl``: the scorer's own overhead and its exact call counts;
- ``--judge embedded-tiny``: the real embedded model on ``examples/longreward/responses.jsonl``
  with short replies (``examples/longreward/demo.yaml``): what the calls cost on a CPU.

    python benchmarks/longreward_calls.py [--judge scripted|embedded-tiny] [--input FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from pathlib import Path

from lmforge.inputs import read_yaml
from lmforge.llm.registry import get_llm
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import GenerateConfig
from lmforge.longreward import JudgeOptions, ScoreConfig, score

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "longreward"
_ANSWER = re.compile(r"\[Answer begins\]\n(.*?)\n\[Answer ends\]", re.DOTALL)


def _scripted_reply(messages, config) -> str:
    text = messages[-1].text
    if "[Statement]" in text:
        return "Supported by passage 1. [[Fully supported]]"
    if "No relevant information" in text and "[Question]" in text and "Answer begins" not in text:
        return "1. A relevant point."
    if "List the factual statements" in text:
        lines = [x for x in _ANSWER.search(text).group(1).splitlines() if x.strip()][:2]
        return "\n".join(f"<statement>{x}</statement>" for x in lines)
    return "Analysis. Rating: [[7]]"


def _official_example(tmp: Path) -> Path | None:
    root = Path(os.environ.get("LMFORGE_TEST_DATA", ROOT.parent / "shared" / "data"))
    example = root / "longreward" / "example"
    if not (example / "sft.jsonl").is_file():
        return None
    sft = json.loads((example / "sft.jsonl").read_text().splitlines()[0])
    rows = [
        {
            "id": sft["idx"],
            "response_id": r["idx"],
            "query": sft["query"],
            "context": sft["context"],
            "response": r["answer"],
        }
        for r in map(json.loads, (example / "sampled_responses.jsonl").read_text().splitlines())
    ]
    path = tmp / "example.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _judge(spec: str):
    return ScriptedLLM(_scripted_reply) if spec == "scripted" else get_llm(spec, cache=False)


def _warm_up(spec: str, judging: JudgeOptions) -> None:
    """Load what the first run would otherwise pay for alone: the tokenizer, bm25s, the model."""
    import asyncio

    from lmforge.longreward import load_tokenizer, retrieve

    load_tokenizer(judging.tokenizer)
    retrieve(["warm up the index", "second chunk"], "index")
    if spec != "scripted":
        asyncio.run(_judge(spec).generate("Say OK.", GenerateConfig(max_tokens=4)))


def _run(data: Path, judge_spec: str, judging: JudgeOptions, share: bool, tmp: Path) -> dict:
    judge = _judge(judge_spec)
    name = "shared" if share else "alone"
    cfg = ScoreConfig(input=data, output=tmp / f"{name}.jsonl", judging=judging, share_info=share)
    start = time.perf_counter()
    result = score(cfg, out=tmp / f"run-{name}", quiet=True, llm=judge)
    result["wall_s"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", default="scripted", help="scripted or an embedded model")
    parser.add_argument("--input", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        data = args.input
        if data is None and args.judge == "scripted":
            data = _official_example(tmp)
        data = data or EXAMPLES / "responses.jsonl"
        if args.judge == "scripted":
            judging = JudgeOptions(tokenizer="approx")
        else:
            judging = JudgeOptions(**read_yaml(EXAMPLES / "demo.yaml")["judging"])
        print(f"input: {data}")
        print(f"judge: {args.judge}")
        _warm_up(args.judge, judging)
        got = {share: _run(data, args.judge, judging, share, tmp) for share in (True, False)}
    for share, label in ((True, "shared"), (False, "alone")):
        r = got[share]
        n = r["responses"] or 1
        print(f"{label}_responses_scored: {r['scored']}/{r['responses']}")
        print(f"{label}_judge_calls: {r['judge_calls']}")
        print(f"{label}_calls_per_response: {r['judge_calls'] / n:.2f}")
        print(f"{label}_wall_per_response_s: {r['wall_s'] / n:.3f}")
        print(f"{label}_parse_failure_rate: {r['parse_failure_rate']:.3f}")
    shared, alone = got[True], got[False]
    print(
        f"calls_ratio_shared_vs_alone: {shared['judge_calls'] / max(alone['judge_calls'], 1):.3f}"
    )
    print(f"calls_saved_by_sharing: {alone['judge_calls'] - shared['judge_calls']}")
    print(f"wall_ratio_shared_vs_alone: {shared['wall_s'] / max(alone['wall_s'], 1e-9):.3f}")


if __name__ == "__main__":
    main()

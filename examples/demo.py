"""`make demo`: every system once, for real, on the embedded model, then one summary screen.

Each step is a shell command a user could type, run in a fresh runs/demo-<time> folder so a
demo never resumes an old one. A step that exits 3 (some records failed, docs/exit-codes.md)
is not a crash: the demo goes on and the summary counts the failures; any other non-zero exit
stops it. What each step produced is read from what it wrote (summary.json, scores.json, the
agenda...) by examples/demo_summary.py, right after the step, into the closing table.

Budget: under 5 minutes of run time on 2 CPU cores, with or without the shared data
(LMFORGE_TEST_DATA); the slow parts are kept small (one record, a few pages).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_summary import Result, Step, print_summary, summarise  # noqa: E402
from demo_systems import (  # noqa: E402
    distill_steps,
    longcite_steps,
    longreward_steps,
    mavenfact_steps,
    openep_steps,
)

ROOT = Path(__file__).resolve().parents[1]
LMFORGE = [sys.executable, "-m", "lmforge.cli"]
PY = [sys.executable]
SHIPPED_PAGES = 4
"""Pages of the deck the demo prepares (shipped PDF or example deck): a whole deck takes
minutes on 2 cores, and four pages show outline, scripts and a quiz."""


def steps(run: Path) -> list[Step]:
    return [
        *core_steps(run),
        *rmbench_steps(run),
        *longwriter_steps(run),
        *longcite_steps(run),
        *crab_steps(run),
        *longreward_steps(run),
        *openep_steps(run),
        *mavenfact_steps(run),
        *distill_steps(run),
        *classroom_steps(run),
    ]


def core_steps(run: Path) -> list[Step]:
    toy = run / "toy-pipeline"
    toy_cmd = PY + ["examples/toy_pipeline.py", "--model", "embedded-tiny", "--out", str(toy)]
    generate = LMFORGE + ["generate", "Say hello in French", "--max-tokens", "40"]
    return [
        Step("core", "models", "model backends", LMFORGE + ["models"], kind="models", capture=True),
        Step(
            "core",
            "generate",
            "generate with the default embedded model (Qwen2.5-Coder-0.5B)",
            generate,
            kind="generate",
            capture=True,
        ),
        Step(
            "core",
            "pipeline",
            "two-stage pipeline through the runner (embedded-tiny: the point is the plumbing)",
            toy_cmd,
            out=toy,
            kind="pipeline",
        ),
        Step(
            "core",
            "resume",
            "rerun into the same folder: every record is skipped, nothing is recomputed",
            toy_cmd,
            out=toy,
            kind="resume",
        ),
        Step(
            "core",
            "report",
            "HTML report of the run",
            LMFORGE + ["report", str(toy)],
            out=toy,
            kind="report",
        ),
    ]


def rmbench_steps(run: Path) -> list[Step]:
    out = run / "rmbench-dpo"
    cmd = LMFORGE + ["rmbench", "run", "--scorer", "dpo:embedded-tiny"]
    cmd += ["--data", "examples/rmbench", "--out", str(out)]
    title = "SmolLM2 as a reference-free DPO implicit reward model, 10 example samples"
    return [Step("RM-Bench", "DPO reward", title, cmd, out=out, kind="rmbench")]


def longwriter_steps(run: Path) -> list[Step]:
    write, bench = run / "longwriter-write", run / "longwriter-bench"
    agentwrite = LMFORGE + [
        "longwriter",
        "write",
        "--config",
        "examples/longwriter/small_model.yaml",
    ]
    agentwrite += ["--out", str(write)]
    agentwrite += ["Write a 300-word blog post about why people should learn to cook at home."]
    score = LMFORGE + ["longwriter", "bench"]
    score += ["--predictions", "examples/longwriter/predictions.jsonl", "--out", str(bench)]
    return [
        Step(
            "LongWriter",
            "AgentWrite",
            "AgentWrite plans a 300-word post, then writes it step by step",
            agentwrite,
            out=write,
            kind="agentwrite",
        ),
        Step(
            "LongWriter",
            "LongBench-Write",
            "LongBench-Write length score S_l of 4 given texts",
            score,
            out=bench,
            kind="longbench",
        ),
    ]


def crab_steps(run: Path) -> list[Step]:
    out, ifeval = run / "crab-backtranslate", run / "ifeval"
    backtranslate = LMFORGE + ["crab", "backtranslate", "--input", "examples/crab/pairs.jsonl"]
    backtranslate += ["--limit", "1", "--config", "examples/crab/small_model.yaml"]
    backtranslate += ["--out", str(out)]
    score = LMFORGE + ["eval", "ifeval", "--predictions", "examples/crab/ifeval_responses.jsonl"]
    score += ["--set", "options.data=examples/crab/ifeval_inputs.jsonl", "--out", str(ifeval)]
    return [
        Step(
            "CRAB",
            "back-translate",
            "back-translate the constraints a response already meets (write, check, dedupe)",
            backtranslate,
            out=out,
            kind="backtranslate",
        ),
        Step(
            "CRAB",
            "IFEval",
            "IFEval strict/loose accuracy of 4 given responses (the registered benchmark)",
            score,
            out=ifeval,
            kind="ifeval",
        ),
    ]


def shipped_deck() -> Path | None:
    """A real university deck when the shared data is around (LMFORGE_TEST_DATA, else
    ../shared/data); the demo does not need it."""
    data = Path(os.environ.get("LMFORGE_TEST_DATA", ROOT.parent / "shared" / "data"))
    deck = data / "slides" / "py4e_umich" / "Pythonlearn-04-Functions.pdf"
    return deck if deck.is_file() else None


def classroom_steps(run: Path) -> list[Step]:
    """The example deck; with the shared data, the first pages of a real PDF deck instead."""
    real = shipped_deck()
    deck = real or run / "plants.pptx"
    lecture = run / f"{deck.stem}.lecture.json"
    # SmolLM2 decides the outline and writes scripts and questions (the plumbing, quickly);
    # pages are described by their own text, and a quiz the model cannot write gets one retry
    # before the rule writes it (the summary says so)
    prepare = LMFORGE + ["classroom", "prepare", str(deck), "--out", str(lecture)]
    prepare += ["--run-dir", str(run / "classroom-prepare")]
    prepare += ["--model", "embedded-tiny", "--describe", "extract", "--plan.question-retries", "1"]
    make: list[Step] = []
    prepare += ["--limit", str(SHIPPED_PAGES)]
    if real is not None:
        what = f"the first {SHIPPED_PAGES} pages of a shipped PDF deck"
    else:
        what = f"the first {SHIPPED_PAGES} pages of the example deck"
        build = PY + ["examples/classroom/make_deck.py", str(deck)]
        make.append(
            Step("Slide2Lecture", "deck", "build a 7-slide example deck", build, deck, "deck")
        )
    lecture_cmd = LMFORGE + ["classroom", "lecture", str(lecture), "--mode", "continuous"]
    lecture_cmd += ["--student", "silent", "--activation", "high"]
    return [
        *make,
        Step(
            "Slide2Lecture",
            "prepare",
            f"prepare {what} with embedded-tiny: outline, scripts, questions",
            prepare,
            out=lecture,
            kind="prepare",
        ),
        Step(
            "Slide2Lecture",
            "lecture",
            "continuous lecture to a silent simulated student (the class clown steps in)",
            lecture_cmd,
            out=lecture,
            kind="lecture",
            capture=True,
        ),
        Step(
            "MAIC",
            "web classroom",
            "serve the sample course; one student joins by code, asks, continues (over HTTP)",
            PY + ["examples/classroom/web_demo.py", "--out", str(run / "classroom-web")],
            out=run / "classroom-web",
            kind="classroom-web",
        ),
    ]


def run_step(step: Step) -> tuple[int, str]:
    """Run one step in the repository root; stdout is echoed as it comes (and kept when the
    step's summary reads it), stderr (progress bars) goes straight to the terminal."""
    if not step.capture:
        return subprocess.call(step.cmd, cwd=ROOT), ""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # a pipe would hold the text back
    proc = subprocess.Popen(step.cmd, cwd=ROOT, stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    kept = bytearray()
    while chunk := os.read(proc.stdout.fileno(), 4096):
        kept += chunk
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
    return proc.wait(), kept.decode("utf-8", "replace")


def shown(cmd: list[str]) -> str:
    """The command as a user would type it."""
    text = " ".join(shlex.quote(c) for c in cmd)
    text = text.replace(f"{sys.executable} -m lmforge.cli", "lmforge")
    return text.replace(sys.executable, "python").replace(f"{ROOT}/", "")


def main() -> int:
    run = ROOT / "runs" / f"demo-{datetime.now():%Y%m%d-%H%M%S}"
    run.mkdir(parents=True)
    todo = steps(run)
    results: list[Result] = []
    started = time.perf_counter()
    for i, step in enumerate(todo, 1):
        print(f"\n=== [{i}/{len(todo)}] {step.system}: {step.title}", flush=True)
        print(f"$ {shown(step.cmd)}", flush=True)
        start = time.perf_counter()
        code, stdout = run_step(step)
        seconds = time.perf_counter() - start
        print(f"--- {seconds:.1f} s" + (f", exit {code}" if code else ""), flush=True)
        results.append(Result(step, code, seconds, summarise(step, stdout, ROOT)))
        if code not in (0, 3):
            print(f"demo step failed with exit code {code}", file=sys.stderr)
            print_summary(results, run, time.perf_counter() - started, ROOT)
            return code
    print_summary(results, run, time.perf_counter() - started, ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make demo`: every step runs for real on the embedded model, with the small inputs in examples/.

Each step is a shell command a user could type; later systems append their own steps. Steps run
in a fresh runs/demo-<time> folder so a demo never resumes an old one.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LMFORGE = [sys.executable, "-m", "lmforge.cli"]
PY = [sys.executable]


def steps(run: Path) -> list[tuple[str, list[str]]]:
    toy = run / "toy-pipeline"
    return [
        ("model backends", LMFORGE + ["models"]),
        ("generate with the embedded model", LMFORGE + ["generate", "Say hello in French"]),
        (
            "two-stage toy pipeline through the runner",
            PY + ["examples/toy_pipeline.py", "--out", str(toy)],
        ),
        (
            "rerun: every record is skipped, nothing is recomputed",
            PY + ["examples/toy_pipeline.py", "--out", str(toy)],
        ),
        ("HTML report of the run", LMFORGE + ["report", str(toy)]),
        (
            "RM-Bench: a length-loving scorer on the example samples (the style trap)",
            LMFORGE
            + [
                "rmbench",
                "run",
                "--scorer",
                "length",
                "--data",
                "examples/rmbench",
                "--out",
                str(run / "rmbench-length"),
            ],
        ),
        (
            "RM-Bench: SmolLM2 as a reference-free DPO implicit reward model",
            LMFORGE
            + [
                "rmbench",
                "run",
                "--scorer",
                "dpo:embedded-tiny",
                "--data",
                "examples/rmbench",
                "--out",
                str(run / "rmbench-dpo"),
            ],
        ),
        (
            "RM-Bench: recompute the table from the per-sample scores",
            LMFORGE + ["rmbench", "score", "--scores", str(run / "rmbench-dpo" / "results.jsonl")],
        ),
        (
            "LongWriter: score given predictions with the official length score",
            LMFORGE
            + [
                "longwriter",
                "bench",
                "--predictions",
                "examples/longwriter/predictions.jsonl",
                "--out",
                str(run / "longwriter-bench"),
            ],
        ),
        (
            "LongWriter: AgentWrite plans a 300-word post, then writes it paragraph by paragraph",
            LMFORGE
            + [
                "longwriter",
                "write",
                "--config",
                "examples/longwriter/small_model.yaml",
                "--out",
                str(run / "longwriter-write"),
                "Write a 300-word blog post about why people should learn to cook at home.",
            ],
        ),
        *crab_steps(run),
        *classroom_steps(run),
    ]


def crab_steps(run: Path) -> list[tuple[str, list[str]]]:
    out = run / "crab-backtranslate"
    return [
        (
            "CRAB: back-translate constraints from 3 pairs (embedded model, JSON-schema replies)",
            LMFORGE
            + ["crab", "backtranslate", "--input", "examples/crab/pairs.jsonl"]
            + ["--config", "examples/crab/small_model.yaml", "--out", str(out)],
        ),
        (
            "CRAB: compose forward + reverse training conversations from example items",
            LMFORGE
            + ["crab", "compose", "--input", "examples/crab/items.jsonl"]
            + ["--output", str(run / "crab-train.jsonl"), "--seed", "36", "--reverse-rate", "0.5"],
        ),
        (
            "CRAB: score IFEval-style responses (strict and loose)",
            LMFORGE
            + ["crab", "ifeval", "--inputs", "examples/crab/ifeval_inputs.jsonl"]
            + ["--responses", "examples/crab/ifeval_responses.jsonl"],
        ),
    ]


def classroom_steps(run: Path) -> list[tuple[str, list[str]]]:
    deck = run / "plants.pptx"
    lecture = run / "plants.lecture.json"
    return [
        (
            "Slide2Lecture: build a 7-slide example deck",
            PY + ["examples/classroom/make_deck.py", str(deck)],
        ),
        ("Slide2Lecture: the deck's pages", LMFORGE + ["classroom", "pages", str(deck)]),
        (
            "Slide2Lecture: prepare the agenda (describe, outline, scripts, questions)",
            LMFORGE
            + ["classroom", "prepare", str(deck), "--out", str(lecture), "--describe", "extract"],
        ),
        (
            "Slide2Lecture: continuous lecture, a silent simulated student (the clown steps in)",
            LMFORGE
            + ["classroom", "lecture", str(lecture), "--mode", "continuous"]
            + ["--student", "silent", "--activation", "high"],
        ),
        *shipped_deck_steps(run),
    ]


def shipped_deck_steps(run: Path) -> list[tuple[str, list[str]]]:
    """A real university deck (25 pages) when the shared data is around; the demo does not
    need it (LMFORGE_TEST_DATA, else ../shared/data)."""
    data = Path(os.environ.get("LMFORGE_TEST_DATA", ROOT.parent / "shared" / "data"))
    deck = data / "slides" / "py4e_umich" / "Pythonlearn-04-Functions.pdf"
    if not deck.is_file():
        return []
    out = run / "functions.lecture.json"
    return [
        (
            "Slide2Lecture: prepare a shipped 25-page deck (embedded-tiny decides the outline)",
            LMFORGE
            + ["classroom", "prepare", str(deck), "--out", str(out), "--describe", "extract"]
            + ["--model", "embedded-tiny", "--quiet"],
        )
    ]


def main() -> int:
    run = ROOT / "runs" / f"demo-{datetime.now():%Y%m%d-%H%M%S}"
    for title, cmd in steps(run):
        shown = " ".join(shlex.quote(c) for c in cmd).replace(sys.executable, "python")
        print(f"\n=== {title}\n$ {shown}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(cmd, cwd=ROOT)
        print(f"--- {time.perf_counter() - start:.1f} s", flush=True)
        if code:
            print(f"demo step failed with exit code {code}", file=sys.stderr)
            return code
    print(f"\ndemo finished; outputs in {run}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make demo`'s steps for LongCite, LongReward, OpenEP, MAVEN-Fact and distillation, and the
readers that put what each wrote into the closing table (examples/demo_summary.py).

Each step is kept to seconds on 2 cores: a judged benchmark on two examples, one query's
responses, a tiny extraction and training run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from demo_summary import Outcome, Step, calls, load_json, reader, run_notes, with_report

LMFORGE = [sys.executable, "-m", "lmforge.cli"]


def _num(value: object, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "n/a"


# ----------------------------------------------------------------------------- LongCite


def longcite_steps(run: Path) -> list[Step]:
    out = run / "longcite-bench"
    split = LMFORGE + ["longcite", "split", "examples/longcite/lighthouse.txt", "--no-numbered"]
    bench = LMFORGE + ["longcite", "bench", "--predictions", "examples/longcite/predictions.jsonl"]
    bench += ["--data", "examples/longcite/bench_data.json", "--judge", "embedded-tiny"]
    bench += ["--limit", "2", "--out", str(out)]
    return [
        Step(
            "LongCite",
            "split",
            "number a document's sentences",
            split,
            kind="lc-split",
            capture=True,
        ),
        Step(
            "LongCite",
            "LongBench-Cite",
            "citation recall/precision/F1 of 2 cited answers, SmolLM2 as the judge",
            bench,
            out=out,
            kind="longbench-cite",
        ),
    ]


@reader("lc-split")
def _lc_split(out: Path | None, stdout: str, root: Path) -> Outcome:
    last = stdout.strip().splitlines()[-1] if stdout.strip() else "?"
    return Outcome(f"lighthouse.txt: {last.replace(':', '')} numbered <C0>..<Cn>")


@reader("longbench-cite")
def _longbench_cite(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    sc = s.get("scores") or {}
    text = (
        f"{sc.get('n')} answers: citation recall {_num(sc.get('citation_recall'))} / precision "
        f"{_num(sc.get('citation_precision'))} / F1 {_num(sc.get('citation_f1'))}, "
        f"correctness {_num(sc.get('correctness'))}; {calls(s)}"
    )
    notes = [run_notes(s)]
    if sc.get("unparsed"):
        notes.append(f"{sc['unparsed']} judge verdicts unparsed (scored as unsupported)")
    notes.append("a 135M judge: the figures show the plumbing, not citation quality")
    return with_report(out, Outcome(text, "; ".join(n for n in notes if n)), s)


# ----------------------------------------------------------------------------- LongReward


def longreward_steps(run: Path) -> list[Step]:
    out = run / "longreward"
    scored, pairs = out / "scored.jsonl", out / "pairs.jsonl"
    score = LMFORGE + ["longreward", "score", "-i", "examples/longreward/demo_responses.jsonl"]
    score += ["-o", str(scored), "--judge", "embedded-tiny"]
    score += ["--config", "examples/longreward/demo.yaml", "--out", str(out / "run")]
    pair = LMFORGE + ["longreward", "pairs", "-i", str(scored), "-o", str(pairs)]
    pair += ["--min-responses", "2"]
    return [
        Step(
            "LongReward",
            "score",
            "rate 3 answers to one long-context query on 4 dimensions, SmolLM2 as the judge",
            score,
            out=out / "run",
            kind="longreward-score",
        ),
        Step(
            "LongReward",
            "pairs",
            "chosen/rejected pair per query",
            pair,
            out=pairs,
            kind="longreward-pairs",
            capture=True,
        ),
    ]


@reader("longreward-score")
def _longreward_score(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    means = s.get("mean_scores") or {}
    dims = ", ".join(f"{k} {_num(v, 1)}" for k, v in means.items())
    text = f"{s.get('scored', 0)} of {s.get('responses', 0)} responses scored ({dims}); {calls(s)}"
    notes = [run_notes(s)]
    rate = s.get("parse_failure_rate")
    if rate:
        notes.append(f"judge parse failures {rate:.0%} (re-asked)")
    return Outcome(text, "; ".join(n for n in notes if n), [Path(s["output"])])


@reader("longreward-pairs")
def _longreward_pairs(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    found = dict(line.split(": ", 1) for line in stdout.splitlines() if ": " in line)
    text = f"{found.get('pairs', '?')} pair(s) from {found.get('queries', '?')} query"
    note = "" if found.get("pairs", "0") != "0" else "no pair: too few responses were scored"
    return Outcome(text, note, [out])


# ----------------------------------------------------------------------------- MAVEN-Fact


def mavenfact_steps(run: Path) -> list[Step]:
    out = run / "mavenfact"
    predict = LMFORGE + ["mavenfact", "predict", "--classifier", "llm:embedded-tiny"]
    predict += ["--input", "examples/mavenfact/docs.jsonl", "-o", str(out / "predictions.jsonl")]
    predict += ["--limit", "8", "--out", str(out / "run")]
    annotate = LMFORGE + ["mavenfact", "annotate", "examples/mavenfact/generated_answer.txt"]
    annotate += ["--out", str(out / "annotate")]
    return [
        Step(
            "MAVEN-Fact",
            "LLM five-shot",
            "label the factuality of 8 event mentions with SmolLM2 (five-shot, JSON schema)",
            predict,
            out=out / "run",
            kind="mavenfact-predict",
        ),
        Step(
            "MAVEN-Fact",
            "annotate",
            "mark the events of a generated answer and flag the ones not stated as fact",
            annotate,
            kind="mavenfact-annotate",
            capture=True,
        ),
    ]


@reader("mavenfact-predict")
def _mavenfact_predict(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    text = (
        f"{s.get('mentions', s.get('rows'))} mentions: macro-F1 {_num(s.get('macro_f1'), 4)}, "
        f"accuracy {_num(s.get('accuracy'), 4)}; {calls(s)}"
    )
    notes = [run_notes(s)]
    if s.get("fallback_uu"):
        notes.append(f"{s['fallback_uu']} replies without a label counted as Uu")
    notes.append("SmolLM2 is no factuality classifier: compare `--classifier cues` (no model)")
    return Outcome(text, "; ".join(n for n in notes if n), [Path(s["output"])])


@reader("mavenfact-annotate")
def _mavenfact_annotate(out: Path | None, stdout: str, root: Path) -> Outcome:
    found = dict(line.split(": ", 1) for line in stdout.splitlines() if ": " in line)
    text = (
        f"{found.get('events', '?')} events marked, "
        f"{found.get('not_certain_fact', '?')} not stated as certain fact (cue-word classifier)"
    )
    return Outcome(text)


# ----------------------------------------------------------------------------- distillation


def distill_steps(run: Path) -> list[Step]:
    store, train = run / "distill" / "store", run / "distill" / "train"
    extract = LMFORGE + ["distill", "extract", "--config", "examples/distill/extract.yaml"]
    extract += ["--teacher", "hf:embedded-tiny", "--max-windows", "16"]
    extract += ["--windows-per-shard", "8", "--store", str(store)]
    student = LMFORGE + ["distill", "train", "--config", "examples/distill/train.yaml"]
    student += ["--store", str(store), "--steps", "20", "--out", str(train)]
    return [
        Step(
            "distillation",
            "extract",
            "SmolLM2-135M's top-0.95-50 log-probs over 16 windows, into a sharded store",
            extract,
            out=store,
            kind="distill-extract",
            capture=True,
        ),
        Step(
            "distillation",
            "train",
            "a 1.6M-parameter student on (1-alpha) LM + alpha KD, WSD alpha and LR",
            student,
            out=train,
            kind="distill-train",
        ),
    ]


def _fields(stdout: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in stdout.splitlines() if ": " in line)


@reader("distill-extract")
def _distill_extract(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    store = load_json(out / "store.json")
    found = _fields(stdout)
    text = (
        f"{store['windows_total']} windows, top-{store['top_p']}-{store['top_k']}: "
        f"{found.get('bytes_per_token', '?')} B/token (dense fp32 "
        f"{found.get('dense_fp32_bytes_per_token', '?')})"
    )
    return Outcome(text, where=[out])


@reader("distill-train")
def _distill_train(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    text = (
        f"{s['steps']} steps: held-out perplexity {_num(s.get('eval_ppl'), 1)}, "
        f"KL to the teacher {_num(s.get('eval_kl_teacher'))}"
    )
    note = "a toy run: what PD buys is measured by `lmforge distill experiment` (docs/distill.md)"
    return Outcome(text, note, [out])


# ----------------------------------------------------------------------------- OpenEP


def openep_steps(run: Path) -> list[Step]:
    out = run / "openep"
    predict = LMFORGE + ["openep", "predict", "-i", "examples/openep/questions.jsonl"]
    predict += ["--corpus", "examples/openep/news.jsonl", "--method", "rag"]
    predict += ["--retrieval", "bm25", "-m", "embedded-tiny", "--max-tokens", "64"]
    predict += ["-o", str(out / "predictions.jsonl"), "--out", str(out / "run")]
    title = "predict 3 real events from news dated before each question (RAG, SmolLM2)"
    return [Step("OpenEP", "predict", title, predict, out=out / "run", kind="openep-predict")]


@reader("openep-predict")
def _openep_predict(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    text = f"{s.get('rows', 0)} of {s.get('total', 0)} questions predicted; {calls(s)}"
    notes = [run_notes(s)]
    if s.get("failed_steps"):
        failed = ", ".join(f"{k} ×{n}" for k, n in s["failed_steps"].items())
        notes.append(f"steps that fell back: {failed}")
    return Outcome(text, "; ".join(n for n in notes if n), [Path(s["output"])])


# ----------------------------------------------------------------------------- MAIC (web)


@reader("classroom-web")
def _classroom_web(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    who = s.get("answered_by")
    produced = f"{s.get('messages', 0)} messages streamed; the question answered by {who}"
    note = "" if who else "no agent answered the student's question"
    return Outcome(produced, note, [out / "transcript.jsonl"])

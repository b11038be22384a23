"""``lmforge distill experiment``: the design-space table at CPU scale, in the paper's shape.

One command: build (or read) a corpus, train a word-level tokenizer and a teacher on it, extract
the teacher's top-p-k store once, then train every student variant with every seed and write the
table: held-out perplexity per variant (mean over seeds) and its relative change vs the LM-only
baseline trained with the same LR schedule (the paper's Table 5 compares against LLM-LM; its
fair WSD baseline is "0-alpha + WSD-LR", so every row here names its own baseline).

Resumable: the teacher, the store and each (variant, seed) result are kept in the run folder;
rerunning with ``--out`` skips what is done. ``docs/distill.md`` has the full-size command.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lmforge.inputs import JsonlPath

from .losses import Loss
from .schedules import AlphaSchedule, LRSchedule, Phases
from .student import ModelSize

__all__ = ["DEFAULT_VARIANTS", "ExperimentConfig", "Variant", "experiment"]


class Variant(BaseModel):
    """One student configuration of the grid."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    name: str
    """Row label."""
    loss: Loss = "nll"
    """KD loss."""
    alpha: AlphaSchedule = AlphaSchedule(alpha_max=0.0)
    """The alpha schedule (alpha_max 0: LM only)."""
    lr: Literal["cosine", "wsd"] = "cosine"
    """LR shape; the row is compared with the LM-only row of the same shape."""
    tau: float = 1.0
    """Teacher temperature."""
    top_k: int | None = None
    """Load-time k (tighter than the store's)."""
    top_p: float | None = None
    """Load-time p."""
    student: ModelSize | None = None
    """This row's student shape (default: the experiment's ``student``). Its baseline is the
    LM-only row of the same shape and the same LR shape."""
    logits: Literal["offline", "online_early", "online_late"] = "offline"
    """Teacher targets: the final teacher's offline store, or the records the teacher emitted
    while it trained (its first / last ``online_fraction`` of steps); every row is evaluated
    against the final teacher's held-out windows."""


def _v(name: str, lr: str = "cosine", loss: str = "nll", **kw: Any) -> Variant:
    keys = ("tau", "top_k", "top_p", "student", "logits")
    extra = {k: kw.pop(k) for k in keys if k in kw}
    return Variant(name=name, lr=lr, loss=loss, alpha=AlphaSchedule(**kw), **extra)


_BEST = {"lr": "wsd", "shape": "wsd", "alpha_max": 0.9}


DEFAULT_VARIANTS: tuple[Variant, ...] = (
    _v("LM only + cos-LR", alpha_max=0.0),
    _v("LM only + WSD-LR", "wsd", alpha_max=0.0),
    _v("NLL a=1 + cos-LR", alpha_max=1.0),
    _v("KLD-renorm a=1 + cos-LR", loss="kld_renorm", alpha_max=1.0),
    _v("MSE a=1 + cos-LR", loss="mse", alpha_max=1.0),
    _v("NLL a=0.5 + cos-LR", alpha_max=0.5),
    _v("linear-down a (0.9) + cos-LR", shape="linear_down", alpha_max=0.9),
    _v("linear-up a (0.9) + cos-LR", shape="linear_up", alpha_max=0.9),
    _v("WSD-a (0.9) + cos-LR", shape="wsd", alpha_max=0.9),
    _v("a=1 + WSD-LR", "wsd", alpha_max=1.0),
    _v("WSD-b (0.9) + WSD-LR", "wsd", shape="wsd", alpha_max=0.9, on="beta"),
    _v("WSD-a (0.9) + WSD-LR", **_BEST),
    _v("WSD-a + WSD-LR, tau=0.5", tau=0.5, **_BEST),
    _v("WSD-a + WSD-LR, tau=2", tau=2.0, **_BEST),
    _v("WSD-a + WSD-LR, k=10", top_k=10, **_BEST),
    _v("WSD-a + WSD-LR, p=0.8", top_p=0.8, **_BEST),
    _v("WSD-a + WSD-LR, online early", logits="online_early", **_BEST),
    _v("WSD-a + WSD-LR, online late", logits="online_late", **_BEST),
)
"""The grid of the paper's Table 5 (plus linear-up) at the store's top-p-k and tau = 1, then the
best row (WSD-alpha + WSD-LR) at other tau, k and p (applied at load time) and on the teacher's
online records (early vs late). Student-size rows need sizes: see
``examples/distill/experiment-full.yaml``."""


class ExperimentConfig(BaseModel):
    """Teacher + store + a grid of students with seeds; the paper-shaped table."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    corpus: JsonlPath | None = None
    """Corpus JSONL (e.g. LecEval's *_metadata.jsonl with text_field=transcript); none: the
    built-in synthetic topic-bigram language."""
    text_field: str = "text"
    """The corpus row field that holds the text."""
    vocab_size: int = Field(2000, ge=16)
    """Word-level vocabulary size (including <unk>, <eos>, <pad>)."""
    window: int = Field(64, ge=8)
    """Context length of teacher and students."""
    teacher: ModelSize = ModelSize(hidden=128, layers=4, heads=4)
    """Teacher shape."""
    teacher_steps: int = Field(400, ge=1)
    """Teacher LM updates (cosine LR)."""
    teacher_lr: float = Field(2e-3, gt=0)
    """Teacher peak LR."""
    top_p: float | None = Field(0.95, gt=0, le=1)
    """Extraction p."""
    top_k: int = Field(50, ge=1)
    """Extraction k."""
    student: ModelSize = ModelSize(hidden=32, layers=2, heads=4)
    """Student shape (the seed is replaced by each run's seed)."""
    steps: int = Field(200, ge=1)
    """Student updates."""
    batch_size: int = Field(16, ge=1)
    """Windows per student update."""
    lr: float = Field(2e-3, gt=0)
    """Student peak LR."""
    phases: Phases = Phases()
    """WSD phase boundaries shared by alpha and LR."""
    seeds: list[int] = [0, 1]
    """Seeds per variant (student initialisation and batch order)."""
    variants: list[Variant] = list(DEFAULT_VARIANTS)
    """The grid (default: Table 5's rows)."""
    eval_fraction: float = Field(0.1, gt=0, lt=1)
    """Share of windows (the last ones) held out from teacher and students."""
    max_windows: int | None = Field(None, ge=2)
    """Only the first N windows of the corpus."""
    threads: int | None = Field(None, ge=1)
    """torch CPU threads (1 is faster on a shared, loaded machine); default: torch's choice."""
    online_fraction: float = Field(0.1, gt=0, le=0.5)
    """Online rows: the teacher's first (early) and last (late) share of steps is recorded while
    it trains (only when the grid has online rows)."""

    @model_validator(mode="after")
    def _names_unique(self) -> ExperimentConfig:
        names = [v.name for v in self.variants]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"variant names must be unique (results are keyed by them): {twice}")
        return self


def _corpus(cfg: ExperimentConfig, run: Any) -> Path:
    """The corpus as ``text`` rows in the run folder (what the store's fingerprint hashes)."""
    from lmforge.pipeline.records import check_row, iter_jsonl

    from .corpus import synthetic_corpus
    from .extraction import row_schema

    target = run / "corpus.jsonl"
    if target.is_file():
        return target
    if cfg.corpus is None:
        texts = synthetic_corpus()
    else:
        schema = row_schema(cfg.text_field)
        texts = [
            getattr(check_row(schema, row, path=cfg.corpus, line=line), cfg.text_field)
            for line, row in iter_jsonl(cfg.corpus)
        ]
    tmp = target.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts))
    tmp.replace(target)
    return target


def student_of(cfg: ExperimentConfig, variant: Variant) -> ModelSize:
    return variant.student or cfg.student


def size_label(size: ModelSize) -> str:
    return f"hidden {size.hidden}, {size.layers} layers, {size.heads} heads"


def _student_config(cfg: ExperimentConfig, run: Any, variant: Variant, seed: int):
    from .experiment_teacher import online_ranges
    from .trainer import TrainConfig

    store, online = run / "store", {}
    if variant.logits != "offline":
        steps = online_ranges(cfg)[variant.logits]
        online = {"teacher_steps": steps, "eval_store": store}
        store = run / "online"
    return TrainConfig(
        store=store,
        **online,
        student=student_of(cfg, variant).model_copy(update={"seed": seed}),
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        loss=variant.loss,
        alpha=variant.alpha,
        lr=LRSchedule(shape=variant.lr, peak=cfg.lr),
        phases=cfg.phases,
        tau=variant.tau,
        top_p=variant.top_p,
        top_k=variant.top_k,
        eval_fraction=cfg.eval_fraction,
        seed=seed,
    )


def _done(path: Path) -> dict[tuple[str, int], dict[str, Any]]:
    if not path.is_file():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(r["variant"], r["seed"]): r for r in rows}


def experiment(
    cfg: ExperimentConfig, *, out: Path | None = None, quiet: bool = False
) -> dict[str, Any]:
    """Run (or finish) the grid; writes table.md, results.jsonl, summary.json and a plot."""
    from lmforge.pipeline.rundir import RunDir

    from .experiment_table import summarize, write_outputs
    from .experiment_teacher import train_teacher
    from .extraction import ExtractConfig, extract
    from .trainer import train_student

    if cfg.corpus is not None:
        from lmforge.pipeline.records import check_rows

        from .extraction import row_schema

        check_rows(cfg.corpus, row_schema(cfg.text_field))
    if cfg.threads:
        import torch

        torch.set_num_threads(cfg.threads)
    run = RunDir.open(out, "distill-experiment")
    run.write_config(cfg)
    began = time.perf_counter()
    corpus = _corpus(cfg, run)
    teacher = train_teacher(cfg, run, corpus)
    store_cfg = ExtractConfig(
        input=corpus,
        store=run / "store",
        teacher=f"hf:{(run / 'teacher').resolve()}",
        top_p=cfg.top_p,
        top_k=cfg.top_k,
        window=cfg.window,
        max_windows=cfg.max_windows,
    )
    store = extract(store_cfg, quiet=True)
    results_path = run / "results.jsonl"
    done = _done(results_path)
    for variant in cfg.variants:
        for seed in cfg.seeds:
            if (variant.name, seed) in done:
                continue
            tcfg = _student_config(cfg, run, variant, seed)
            folder = RunDir(run / "students" / f"{len(done):03d}")
            _, figures = train_student(tcfg, folder, quiet=True)
            row = {
                "variant": variant.name,
                "seed": seed,
                "lr": variant.lr,
                "student": size_label(tcfg.student),
                "logits": variant.logits,
                **figures,
            }
            done[(variant.name, seed)] = row
            with open(results_path, "a") as fh:
                fh.write(json.dumps(row) + "\n")
            if not quiet:
                print(f"{variant.name} seed {seed}: ppl {row['eval_ppl']}", file=sys.stderr)
    table = summarize(cfg, list(done.values()))
    summary = write_outputs(run.path, cfg, table, teacher, store, time.perf_counter() - began)
    run.write_summary(summary)
    return {"run": str(run.path), "table": str(run / "table.md"), **summary["headline"]}


def show_experiment(result: dict[str, Any]) -> list[str]:
    lines = [f"{k}: {v}" for k, v in result.items() if not isinstance(v, dict | list)]
    table = Path(result["table"])
    return lines + ([""] + table.read_text().splitlines() if table.is_file() else [])

"""Pre-training distillation (PD): offline top-p-k teacher logits, KD losses, alpha/LR schedules.

A teacher runs once over a corpus (:func:`extract`) into a compact sharded store of
top-p-then-top-k log-probs (:class:`LogitStore`); students then train on
``(1 - alpha) LM + alpha KD`` (:func:`train`) with alpha and the LR on shared WSD/cosine phases
(:mod:`.schedules`); :func:`experiment` runs the design-space table at CPU scale. See
``docs/distill.md`` and ``lmforge distill --help``.

Names resolve lazily (PEP 562): ``lmforge --help`` must not pay for numpy or torch.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports
from lmforge.systems import System

_EXPORTS = export_table(
    """
truncate: kept_counts top_k_logprobs
store: FORMAT LogitStore Targets
loaders: pad_targets
teacher: HFTeacher Teacher load_teacher
http_teacher: HTTPTeacher
extraction: ExtractConfig extract tokenize_corpus
inspect_store: InspectConfig inspect store_figures
losses: KD_LOSSES combined_loss kd_loss lm_and_kd lm_loss teacher_entropy
schedules: AlphaSchedule LRSchedule Phases alpha_at lr_at
student: ModelSize build_model
trainer: TrainConfig evaluate train
online: OnlineRecorder
experiments: ExperimentConfig experiment
"""
)

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

SYSTEM = System(
    name="distill",
    package="lmforge.distill",
    help="Pre-training distillation: top-p-k teacher logit store, KD losses, alpha/LR schedules.",
    cli="lmforge.distill.cli",
)

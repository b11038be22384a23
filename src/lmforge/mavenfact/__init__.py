"""MAVEN-Fact: event factuality detection (Li et al., EMNLP Findings 2024).

Each event mention gets one of five labels: CT+ (certainly happened), CT- (certainly did not),
PS+ (possibly happened), PS- (possibly did not), Uu (unknown). This package reads MAVEN-Fact /
MAVEN-ERE document files as released (and mention-level JSONL), splits a corpus by document,
scores predictions with the official metrics (macro-F1 over the five labels is the headline),
and labels mentions with a fine-tuned encoder (trigger pooling, 5-way head, class weights), an
LLM (the five-shot prompt, JSON replies, a counted fallback to Uu) or simple baselines; it
tags the supporting (cue) words of non-factual mentions (a trained B/I/O tagger, a cue rule
or an LLM) and marks and labels the events of free text (``annotate``).
See ``lmforge mavenfact --help``.

Names resolve lazily (PEP 562): ``lmforge --help`` must not pay for torch or transformers.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports
from lmforge.systems import System

_EXPORTS = export_table(
    """
labels: LABELS LABEL2ID NON_FACTUAL INVALID MISSING normalise_label
schema: Document Event Mention check_document
data: MentionRow document_mentions is_document_file label_stats load_documents load_mentions mark
splits: SPLITS SplitConfig StatsConfig split split_ids stats write_split
metrics: COLUMNS format_table score_labels
scoring: EvaluateConfig evaluate gold_labels read_predictions score_files
llm_classifier: LLMClassifierOptions parse_label classify_stage load_shots
prediction: PredictConfig predict
baselines: BASELINES baseline_label cue_label
benchmark: mavenfact_benchmark mavenfact_scores
report: confusion_figure per_class_figure
evidence_tags: bio_tags spans span_scores evidence_subset evidence_stage cue_positions
evidence_run: EvidenceConfig evidence
evidence_model: EvidenceTagger load_tagger tagger_words
evidence_training: TrainEvidenceConfig evidence_rows train_evidence train_tagger
annotation: AnnotateConfig annotate candidate_triggers tokenize
triggers: TriggerOptions trigger_stage read_triggers check_triggers
encoder: EncoderClassifier load_classifier
training: TrainConfig train train_classifier
"""
)

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

SYSTEM = System(
    name="mavenfact",
    package="lmforge.mavenfact",
    help="MAVEN-Fact: event factuality (CT+/CT-/PS+/PS-/Uu) with encoders and LLMs, scored.",
    cli="lmforge.mavenfact.cli",
    benchmarks=("lmforge.mavenfact.benchmark",),
    reports=("lmforge.mavenfact.report",),
)

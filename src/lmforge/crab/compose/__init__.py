"""CRAB training-data composition (spec A2 stages 2a-2c): forward, reverse and mixed SFT rows.

Input: back-translated items (official stage-6 shape, what ``lmforge crab backtranslate``
writes). Output: TRL ``messages`` rows. Entry points: :func:`compose_training_data` (in memory)
and :func:`compose_file` (file to file, used by ``lmforge crab compose``).
"""

from __future__ import annotations

from .compose import (
    PAPER_MAX_NUM,
    ComposeConfig,
    compose,
    compose_file,
    compose_training_data,
    stage_rng,
)
from .forward import forward_examples, shot_map, type_weights
from .items import ComposeItem, item_key, load_compose_items, parse_item, parse_items
from .layouts import forward_texts, reverse_texts
from .mix import conversation_messages, load_conversations, mix, mix_counts
from .reverse import OTHERS, reverse_examples
from .targets import serialise_target

__all__ = [
    "OTHERS",
    "PAPER_MAX_NUM",
    "ComposeConfig",
    "ComposeItem",
    "compose",
    "compose_file",
    "compose_training_data",
    "conversation_messages",
    "forward_examples",
    "forward_texts",
    "item_key",
    "load_compose_items",
    "load_conversations",
    "mix",
    "mix_counts",
    "parse_item",
    "parse_items",
    "reverse_examples",
    "reverse_texts",
    "serialise_target",
    "shot_map",
    "stage_rng",
    "type_weights",
]

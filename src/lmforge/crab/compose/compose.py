"""One call from back-translated items to CRAB training data (stages 2a, 2b, 2c together).

This is what ``lmforge crab compose`` runs. Each stage draws from its own random stream derived
from ``seed``, so the same seed gives the same file, and changing e.g. the reverse settings does
not reshuffle which forward rows were built.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from lmforge.errors import InputError
from lmforge.inputs import JsonlPath
from lmforge.pipeline.records import write_jsonl
from lmforge.pipeline.rundir import check_output_file

from .forward import forward_examples, shot_map
from .items import load_compose_items, parse_items
from .mix import load_conversations, mix, mix_counts
from .reverse import reverse_examples

__all__ = [
    "PAPER_MAX_NUM",
    "ComposeConfig",
    "compose",
    "compose_file",
    "compose_training_data",
    "stage_rng",
]

PAPER_MAX_NUM = 13500
"""CRAB examples in the released Crab-SFT (9,450 forward + 4,050 reverse)."""


def stage_rng(seed: int, stage: str) -> random.Random:
    """The random stream of one stage (string seeds are hashed with SHA-512: stable)."""
    return random.Random(f"crab-compose:{stage}:{seed}")


def _counts(items: list, forward: list, reverse: list, mixed: list) -> dict[str, int]:
    return {
        "items": len(items),
        "forward_built": len(forward),
        "reverse_built": len(reverse),
        **mix_counts(mixed),
        "rows": len(mixed),
    }


def _keep_stages(directory: Path, forward: list, reverse: list) -> None:
    """The intermediate files of the official scripts: forward and reverse rows, shot map."""
    write_jsonl(directory / "forward.jsonl", forward)
    write_jsonl(directory / "reverse.jsonl", reverse)
    text = json.dumps(shot_map(forward), indent=1, ensure_ascii=False)
    (directory / "shot_map.json").write_text(text + "\n", encoding="utf-8")


def _compose(
    items: Sequence[Any],
    *,
    reverse_rate: float,
    seed: int,
    max_num: int | None,
    faithful_quirks: bool,
    extra: Sequence[Mapping[str, Any]] | None,
    extra_num: int,
    stages_dir: Path | None = None,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    if not 0 <= reverse_rate <= 1:
        raise InputError(
            f"reverse_rate must be in [0, 1], got {reverse_rate}", field="reverse_rate"
        )
    if max_num is not None and max_num < 0:
        raise InputError(f"max_num must be >= 0, got {max_num}", field="max_num")
    parsed = parse_items(items)
    forward = forward_examples(parsed, stage_rng(seed, "forward"))
    reverse = reverse_examples(
        parsed, stage_rng(seed, "reverse"), shot_map(forward), faithful_quirks=faithful_quirks
    )
    cap = len(forward) if max_num is None else max_num
    mixed = mix(
        forward,
        reverse,
        stage_rng(seed, "mix"),
        forward_rate=1 - reverse_rate,
        max_num=cap,
        extra=extra,
        extra_num=extra_num,
    )
    if stages_dir is not None:
        _keep_stages(Path(stages_dir), forward, reverse)
    return mixed, _counts(parsed, forward, reverse, mixed)


def compose_training_data(
    items: Sequence[Any],
    *,
    reverse_rate: float = 0.3,
    seed: int = 36,
    max_num: int | None = None,
    faithful_quirks: bool = False,
    extra: Sequence[Mapping[str, Any]] | None = None,
    extra_num: int = 53000,
) -> list[dict[str, Any]]:
    """Training rows ``{id, cnt_id, source, messages}`` (TRL ``messages`` format).

    ``items``: back-translated rows (see :mod:`.items`). ``reverse_rate`` = 1 - the official
    ``forward_rate`` (0.3). ``max_num`` caps the CRAB rows; ``None`` means "as many as the
    input gives" (forward rows take ``1 - reverse_rate`` of the built forward examples, reverse
    rows fill up to that same total); pass :data:`PAPER_MAX_NUM` (13,500) for the paper's mix.
    ``extra``: ShareGPT/TRL conversations, ``extra_num`` of them appended (official 53,000).
    ``faithful_quirks``: reproduce the official reverse-target defects (unescaped JSON, Q7).
    """
    rows, _ = _compose(
        items,
        reverse_rate=reverse_rate,
        seed=seed,
        max_num=max_num,
        faithful_quirks=faithful_quirks,
        extra=extra,
        extra_num=extra_num,
    )
    return rows


def compose_file(
    input_path: str | Path,
    output_path: str | Path,
    *,
    reverse_rate: float = 0.3,
    seed: int = 36,
    max_num: int | None = None,
    faithful_quirks: bool = False,
    extra_path: str | Path | None = None,
    extra_num: int = 53000,
    stages_dir: str | Path | None = None,
) -> dict[str, int]:
    """Read items (JSONL or the official JSON list), write training JSONL; returns counts
    (``items``, ``forward_built``, ``reverse_built``, ``forward``, ``reverse``, ``extra``,
    ``rows``) for the CLI's summary. Input errors are raised before anything is written.

    ``stages_dir``: also write ``forward.jsonl``, ``reverse.jsonl`` (with ``Num_Cons``, shots
    and ``_meta``) and ``shot_map.json`` there, for inspection."""
    check_output_file(output_path)
    if stages_dir is not None and Path(stages_dir).exists() and not Path(stages_dir).is_dir():
        raise InputError("is a file; expected a folder", path=stages_dir, field="stages_dir")
    items = load_compose_items(input_path)
    extra = load_conversations(extra_path) if extra_path is not None else None
    rows, counts = _compose(
        items,
        reverse_rate=reverse_rate,
        seed=seed,
        max_num=max_num,
        faithful_quirks=faithful_quirks,
        extra=extra,
        extra_num=extra_num,
        stages_dir=Path(stages_dir) if stages_dir is not None else None,
    )
    write_jsonl(output_path, rows)
    return counts


class ComposeConfig(BaseModel):
    """Forward + reverse training conversations from back-translated items."""

    input: JsonlPath
    """Back-translated items (JSONL, or the official JSON list)."""
    output: Path
    """Training JSONL (TRL messages)."""
    reverse_rate: float = Field(0.3, ge=0, le=1)
    """Share of reverse examples (instruction + response -> constraints)."""
    seed: int = 36
    """Seed of every draw (official: 36)."""
    max_num: int | None = None
    """At most N CRAB examples (paper: 13500; default: all)."""
    extra: JsonlPath | None = None
    """Extra conversations to mix in (ShareGPT or messages)."""
    extra_num: int = 53000
    """How many extra conversations."""
    faithful_quirks: bool = False
    """Official unescaped JSON in reverse targets (Q7)."""
    stages_dir: Path | None = None
    """Also write forward/reverse rows and the shot map here, for inspection."""


def compose(config: ComposeConfig) -> list[str]:
    """Forward + reverse training conversations (TRL messages) from back-translated items."""
    options = config.model_dump(exclude={"input", "output", "extra"})
    counts = compose_file(config.input, config.output, extra_path=config.extra, **options)
    return [f"{key}: {counts[key]}" for key in ("items", "forward", "reverse", "extra", "rows")]

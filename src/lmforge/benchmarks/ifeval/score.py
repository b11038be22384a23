"""IFEval strict and loose scoring, prompt- and instruction-level, with a per-type table.

Definitions are those of the official `evaluation_lib.py`:

* strict: an instruction is followed iff the response is not blank and its checker passes;
* loose: followed iff, for any of 8 variants, the variant is not blank and the checker passes.
  Variants, in the official order: the response; the response with every `*` removed; first
  line removed; last line removed; first and last removed (these three `strip()`ed after
  joining the lines); and those three with every `*` removed;
* prompt-level accuracy: share of prompts whose instructions are all followed;
  instruction-level accuracy: share of followed instructions over all instructions.

Figures are percentages. The per-type table has the official two tiers: by instruction id and
by category (the part before the colon).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lmforge.benchmarks.ifeval.io import IFEvalInput, load_ifeval_inputs, load_responses
from lmforge.benchmarks.ifeval.registry import category, run_checker
from lmforge.errors import InputError

__all__ = [
    "IFEvalReport",
    "PromptResult",
    "TypeAccuracy",
    "format_report",
    "loose_variants",
    "report_of",
    "score_files",
    "score_ifeval",
    "score_prompt",
]


@dataclass(frozen=True)
class PromptResult:
    """One prompt's outcome; `to_dict()` is a `results.jsonl` row."""

    key: int | str
    prompt: str
    response: str
    instruction_id_list: list[str]
    strict: list[bool]
    loose: list[bool]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "prompt": self.prompt,
            "response": self.response,
            "instruction_id_list": self.instruction_id_list,
            "follow_instruction_list_strict": self.strict,
            "follow_all_instructions_strict": all(self.strict),
            "follow_instruction_list_loose": self.loose,
            "follow_all_instructions_loose": all(self.loose),
        }


@dataclass(frozen=True)
class TypeAccuracy:
    """Accuracy of one instruction id or category: n instances, strict and loose percent."""

    name: str
    n: int
    strict: float
    loose: float


@dataclass(frozen=True)
class IFEvalReport:
    """The four headline percentages, per-row results and per-type accuracies."""

    prompt_level_strict: float
    instruction_level_strict: float
    prompt_level_loose: float
    instruction_level_loose: float
    rows: list[PromptResult] = field(default_factory=list)
    by_instruction: list[TypeAccuracy] = field(default_factory=list)
    by_category: list[TypeAccuracy] = field(default_factory=list)

    @property
    def average(self) -> float:
        """CRAB's "IFEval AVG": the plain mean of the four headline percentages."""
        return (
            self.prompt_level_strict
            + self.instruction_level_strict
            + self.prompt_level_loose
            + self.instruction_level_loose
        ) / 4


def loose_variants(response: str) -> list[str]:
    """The 8 official loose-mode variants of a response, in the official order."""
    lines = response.split("\n")
    no_first = "\n".join(lines[1:]).strip()
    no_last = "\n".join(lines[:-1]).strip()
    no_both = "\n".join(lines[1:-1]).strip()
    return [
        response,
        response.replace("*", ""),
        no_first,
        no_last,
        no_both,
        no_first.replace("*", ""),
        no_last.replace("*", ""),
        no_both.replace("*", ""),
    ]


def _follows(
    instruction_id: str, kwargs: Mapping[str, Any], texts: Iterable[str], official: bool
) -> bool:
    """Any non-blank text passes the checker (one text: strict; the 8 variants: loose)."""
    return any(
        text.strip() and run_checker(instruction_id, kwargs, text, official) for text in texts
    )


def score_prompt(item: IFEvalInput, response: str, *, official: bool = False) -> PromptResult:
    """Strict and loose results of every instruction of one prompt."""
    # checkers are pure, so identical variants (no `*`, one-line responses) are checked once
    others = [v for v in dict.fromkeys(loose_variants(response)[1:]) if v != response]
    pairs = list(zip(item.instruction_id_list, item.kwargs, strict=True))
    strict = [_follows(iid, kw, [response], official) for iid, kw in pairs]
    # a strict pass is a loose pass (variant 1 is the response itself): skip re-checking it
    loose = [
        ok or _follows(iid, kw, others, official)
        for ok, (iid, kw) in zip(strict, pairs, strict=True)
    ]
    return PromptResult(
        key=item.key,
        prompt=item.prompt,
        response=response,
        instruction_id_list=list(item.instruction_id_list),
        strict=strict,
        loose=loose,
    )


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def _type_table(rows: Sequence[PromptResult], name_of: Any) -> list[TypeAccuracy]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        for iid, strict, loose in zip(row.instruction_id_list, row.strict, row.loose, strict=True):
            entry = counts[name_of(iid)]
            entry[0] += 1
            entry[1] += strict
            entry[2] += loose
    return [
        TypeAccuracy(name, n, _percent(s, n), _percent(lo, n))
        for name, (n, s, lo) in sorted(counts.items())
    ]


def _missing_error(
    inputs: Sequence[IFEvalInput], responses: Mapping[str, str], source: str | Path | None
) -> InputError:
    missing = [item for item in inputs if item.prompt not in responses]
    first = missing[0]
    shown = first.prompt if len(first.prompt) <= 80 else first.prompt[:77] + "..."
    return InputError(
        f"no response for {len(missing)} of {len(inputs)} prompts; first: key {first.key}, "
        f"prompt {shown!r}",
        path=source,
        field="prompt",
    )


def score_ifeval(
    inputs: Sequence[IFEvalInput],
    responses: Mapping[str, str],
    *,
    official: bool = False,
    source: str | Path | None = None,
) -> IFEvalReport:
    """Score responses (joined on the exact prompt text) against IFEval inputs.

    Raises InputError naming the first prompt without a response (and `source`, the responses
    file, when given). `official=True` keeps the official checker bugs (see `checks_words`,
    `checks_format`); the default fixes them.
    """
    if not inputs:
        raise InputError("no IFEval inputs to score")
    if any(item.prompt not in responses for item in inputs):
        raise _missing_error(inputs, responses, source)
    rows = [score_prompt(item, responses[item.prompt], official=official) for item in inputs]
    return report_of(rows)


def report_of(rows: Sequence[PromptResult]) -> IFEvalReport:
    """The four percentages and the per-type tables of scored prompts (the benchmark runner
    scores prompt by prompt, then reduces here, so both paths print the same figures)."""
    n_instructions = sum(len(row.strict) for row in rows)
    return IFEvalReport(
        prompt_level_strict=_percent(sum(all(r.strict) for r in rows), len(rows)),
        instruction_level_strict=_percent(sum(sum(r.strict) for r in rows), n_instructions),
        prompt_level_loose=_percent(sum(all(r.loose) for r in rows), len(rows)),
        instruction_level_loose=_percent(sum(sum(r.loose) for r in rows), n_instructions),
        rows=list(rows),
        by_instruction=_type_table(rows, lambda iid: iid),
        by_category=_type_table(rows, category),
    )


def score_files(
    inputs_path: str | Path, responses_path: str | Path, *, official: bool = False
) -> IFEvalReport:
    """Load both files and score: what `lmforge crab ifeval --inputs --responses` runs."""
    inputs = load_ifeval_inputs(inputs_path)
    responses = load_responses(responses_path)
    return score_ifeval(inputs, responses, official=official, source=responses_path)


def _table(title: str, entries: Sequence[TypeAccuracy]) -> list[str]:
    width = max([len(title), *(len(e.name) for e in entries)])
    lines = [f"{title:<{width}}  {'n':>4}  {'strict':>6}  {'loose':>6}"]
    lines += [f"{e.name:<{width}}  {e.n:>4}  {e.strict:6.2f}  {e.loose:6.2f}" for e in entries]
    return lines


def format_report(report: IFEvalReport) -> list[str]:
    """The report as printed lines: the four `name: NN.NN` lines, then the per-type tables."""
    lines = [
        f"prompt_level_strict: {report.prompt_level_strict:.2f}",
        f"instruction_level_strict: {report.instruction_level_strict:.2f}",
        f"prompt_level_loose: {report.prompt_level_loose:.2f}",
        f"instruction_level_loose: {report.instruction_level_loose:.2f}",
        "",
    ]
    lines += _table("instruction_id", report.by_instruction)
    lines.append("")
    lines += _table("category", report.by_category)
    return lines

"""FollowBench scoring: HSR, SSR and CSL per category and level, and CRAB's L1..L5 row.

Definitions (FollowBench paper and official code):

* HSR (hard satisfaction rate) at level n = share of groups whose level-n answer satisfies all
  n added constraints; SSR (soft) = mean share of satisfied constraints. Rule-checked items
  count their one boolean for both. Per category and level the official code divides
  (judge sums + rule sums) by the number of groups, i.e. it averages over the scored items.
* CSL (consistent satisfaction levels) of a group = how many levels in a row, from level 1,
  are hard-satisfied; a category's CSL is the mean over groups with all five levels scored.
* CRAB reports one HSR row L1..L5 and its plain mean. How CRAB merged categories is not
  stated; the row here is the per-level mean over the categories scored (the most likely
  reading). The official ``aggregator.py`` level-weighted score (L1 + 2 L2 + ... + 5 L5) / 15
  is reported as well.

Unusable judge answers (-1 in the official code, which adds the -1 to its sums) are counted
per cell. ``failures`` decides how they enter the rates: ``"zero"`` (default) counts them as
not satisfied, ``"exclude"`` leaves them out, ``"official"`` adds -1 as the official code does
(a bug: one failure cancels one success). Items with no judge (``judge=None``) or no response
are reported as unjudged / missing and left out of the rates, never counted as failures.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from pydantic import BaseModel, Field

from lmforge.benchmarks.followbench.data import CATEGORIES, FBItem, FBResponse, Key, evolution_path
from lmforge.benchmarks.followbench.judge import FBJudgement, judge_many
from lmforge.benchmarks.followbench.rules import is_rule_checked, rule_check
from lmforge.llm.base import LLM
from lmforge.llm.types import GenerateConfig

__all__ = [
    "FBCell",
    "FBOutcome",
    "FBReport",
    "FailurePolicy",
    "decide_without_judge",
    "judged_outcome",
    "report_of",
    "score_followbench",
]

FailurePolicy = Literal["zero", "exclude", "official"]
Method = Literal["rule", "judge", "unjudged", "missing"]
LEVELS = (1, 2, 3, 4, 5)


class FBOutcome(BaseModel):
    """How one item (category, example_id, level) was scored."""

    category: str
    example_id: int
    level: int
    method: Method
    hard: int | None = None
    soft: float | None = None
    failure: str | None = None
    """Why the judge answer was unusable (a parse failure or a model error)."""
    raw: str | None = None
    """The judge's answer, kept for the per-sample output."""


class FBCell(BaseModel):
    """Counts for one category at one level."""

    scored: int = 0
    """Items in the denominator."""
    hard: float = 0.0
    soft: float = 0.0
    rule: int = 0
    judged: int = 0
    failures: int = 0
    unjudged: int = 0
    missing: int = 0

    @property
    def hsr(self) -> float | None:
        return 100 * self.hard / self.scored if self.scored else None

    @property
    def ssr(self) -> float | None:
        return 100 * self.soft / self.scored if self.scored else None


class FBReport(BaseModel):
    """Everything :func:`~lmforge.benchmarks.followbench.report.format_fb_report` prints."""

    cells: dict[str, dict[int, FBCell]]
    csl: dict[str, float | None]
    csl_groups: dict[str, int]
    outcomes: list[FBOutcome] = Field(default_factory=list)
    failure_policy: FailurePolicy = "zero"

    def level_row(self, metric: Literal["hsr", "ssr"] = "hsr") -> dict[int, float | None]:
        """Per level, the mean over categories that have a rate at that level."""
        row: dict[int, float | None] = {}
        for level in LEVELS:
            values = [getattr(c[level], metric) for c in self.cells.values() if level in c]
            present = [v for v in values if v is not None]
            row[level] = sum(present) / len(present) if present else None
        return row

    def average(self, metric: Literal["hsr", "ssr"] = "hsr") -> float | None:
        """CRAB's "FB avg": the plain mean of the L1..L5 row (None unless all five exist)."""
        row = self.level_row(metric)
        if any(v is None for v in row.values()):
            return None
        return sum(v for v in row.values() if v is not None) / len(LEVELS)

    def weighted(
        self, category: str | None = None, metric: Literal["hsr", "ssr"] = "hsr"
    ) -> float | None:
        """The official aggregator's (L1 + 2 L2 + ... + 5 L5) / 15, for one category or the row."""
        if category is None:
            row = self.level_row(metric)
        else:
            row = {lv: getattr(c, metric) for lv, c in self.cells[category].items()}
        if any(row.get(level) is None for level in LEVELS):
            return None
        return sum(level * row[level] for level in LEVELS) / 15  # type: ignore[operator]

    def totals(self) -> dict[str, int]:
        """Counts over all cells: rule, judged, failures, unjudged, missing."""
        names = ("rule", "judged", "failures", "unjudged", "missing")
        return {
            n: sum(getattr(c, n) for cells in self.cells.values() for c in cells.values())
            for n in names
        }


def _add(cell: FBCell, outcome: FBOutcome, policy: FailurePolicy) -> None:
    if outcome.method in ("unjudged", "missing"):
        setattr(cell, outcome.method, getattr(cell, outcome.method) + 1)
        return
    if outcome.method == "rule":
        cell.rule += 1
    else:
        cell.judged += 1
    if outcome.failure is not None:
        cell.failures += 1
        if policy == "exclude":
            return
        penalty = -1.0 if policy == "official" else 0.0
        cell.scored += 1
        cell.hard += penalty
        cell.soft += penalty
        return
    cell.scored += 1
    cell.hard += outcome.hard or 0
    cell.soft += outcome.soft or 0.0


def _csl(outcomes: list[FBOutcome], policy: FailurePolicy) -> tuple[dict, dict]:
    """Mean consecutive hard-satisfied levels per category, over fully scored groups."""
    groups: dict[tuple[str, int], dict[int, FBOutcome]] = defaultdict(dict)
    for o in outcomes:
        groups[(o.category, o.example_id)][o.level] = o
    totals: dict[str, list[int]] = defaultdict(list)
    for (category, _), levels in groups.items():
        usable = [
            levels.get(lv) is not None
            and levels[lv].method in ("rule", "judge")
            and not (levels[lv].failure is not None and policy == "exclude")
            for lv in LEVELS
        ]
        if not all(usable):
            continue
        run = 0
        for level in LEVELS:
            if levels[level].hard != 1:
                break
            run += 1
        totals[category].append(run)
    csl = {c: (sum(v) / len(v) if v else None) for c, v in totals.items()}
    return csl, {c: len(v) for c, v in totals.items()}


def decide_without_judge(
    item: FBItem, response: FBResponse | None, judge: LLM | None, official_rules: bool
) -> FBOutcome | None:
    """The outcome decided without a model call, or None when the judge must be asked."""
    base = {"category": item.category, "example_id": item.example_id, "level": item.level}
    if response is None:
        return FBOutcome(method="missing", **base)
    if is_rule_checked(item):
        ok = int(rule_check(item, response.response, official=official_rules))
        return FBOutcome(method="rule", hard=ok, soft=float(ok), **base)
    if judge is None:
        return FBOutcome(method="unjudged", **base)
    return None


def judged_outcome(item: FBItem, verdict: FBJudgement) -> FBOutcome:
    """The outcome of an item the judge decided (its verdict may be a failure)."""
    return FBOutcome(
        category=item.category,
        example_id=item.example_id,
        level=item.level,
        method="judge",
        hard=verdict.hard,
        soft=verdict.soft,
        failure=verdict.failure,
        raw=verdict.raw,
    )


async def score_followbench(
    items: list[FBItem],
    responses: dict[Key, FBResponse],
    judge: LLM | None,
    *,
    failures: FailurePolicy = "zero",
    official_rules: bool = False,
    config: GenerateConfig | None = None,
    concurrency: int | None = None,
) -> FBReport:
    """Score responses: rule programs where the official code has them, else ``judge``.

    Categories without any response are left out of the report, so scoring one category (or
    a ``--limit``-ed sample) gives a report about what was answered.
    """
    scored = [i for i in items if i.level > 0]
    answered = {k[0] for k in responses}
    scored = [i for i in scored if i.category in answered]
    outcomes: dict[Key, FBOutcome] = {}
    pending: list[FBItem] = []
    for item in scored:
        decided = decide_without_judge(item, responses.get(item.key), judge, official_rules)
        if decided is None:
            pending.append(item)
        else:
            outcomes[item.key] = decided
    if pending and judge is not None:
        jobs = [
            (i.category, evolution_path(items, i), responses[i.key].response, i.level)
            for i in pending
        ]
        verdicts = await judge_many(judge, jobs, config, concurrency)
        for item, v in zip(pending, verdicts, strict=True):
            outcomes[item.key] = judged_outcome(item, v)
    return report_of([outcomes[i.key] for i in scored], failures)


def report_of(ordered: list[FBOutcome], failures: FailurePolicy = "zero") -> FBReport:
    """The cells, CSL and totals of item outcomes in data order: the reduction both
    :func:`score_followbench` and the registered benchmark (one outcome per record) use."""
    order = {c: n for n, c in enumerate(CATEGORIES)}
    cells: dict[str, dict[int, FBCell]] = {}
    for o in sorted(ordered, key=lambda o: (order.get(o.category, 99), o.category)):
        _add(cells.setdefault(o.category, {}).setdefault(o.level, FBCell()), o, failures)
    csl, csl_groups = _csl(ordered, failures)
    return FBReport(
        cells=cells, csl=csl, csl_groups=csl_groups, outcomes=ordered, failure_policy=failures
    )

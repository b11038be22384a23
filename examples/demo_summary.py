"""The closing screen of `make demo`: what each step produced, read from what it wrote.

``summarise(step, stdout, root)`` runs right after a step (a later step may rewrite the same
folder, as the resume step does) and reads the files the command wrote: ``summary.json``
(rows, dropped and failed records by reason), ``scores.json``, the agenda, a run's dropped
rows. Only commands that write no file (``models``, ``generate``, ``classroom lecture``) are
read from their stdout. A step that produced nothing useful says why, in a note.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Step:
    system: str
    label: str
    """The step's short name in the summary table."""
    title: str
    cmd: list[str]
    out: Path | None = None
    """The folder or file the step writes (what its summary reads)."""
    kind: str = ""
    """Which reader below builds its summary."""
    capture: bool = False
    """Keep stdout for the reader (commands that write no file)."""


@dataclass
class Outcome:
    produced: str
    note: str = ""
    """Why a step made nothing useful, or what failed."""
    where: list[Path] = field(default_factory=list)


@dataclass
class Result:
    step: Step
    code: int
    seconds: float
    outcome: Outcome


NO_CONSTRAINT = "no LLM-written constraint survived"
"""CRAB's drop reason for a pair left with no constraint (lmforge.crab.backtranslate)."""

Reader = Callable[[Path | None, str, Path], Outcome]
READERS: dict[str, Reader] = {}


def reader(kind: str) -> Callable[[Reader], Reader]:
    def register(fn: Reader) -> Reader:
        READERS[kind] = fn
        return fn

    return register


def summarise(step: Step, stdout: str, root: Path) -> Outcome:
    """The step's outcome; a reader that finds its files missing or malformed says so."""
    read = READERS.get(step.kind)
    if read is None:
        return Outcome("")
    try:
        return read(step.out, stdout, root)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Outcome("?", note=f"could not read its output: {type(exc).__name__}: {exc}")


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def counted(counts: dict[str, int]) -> str:
    """``{"a": 2, "b": 1}`` -> ``a ×2, b``."""
    return ", ".join(k if n == 1 else f"{k} ×{n}" for k, n in counts.items())


def run_notes(summary: dict[str, Any]) -> str:
    """Dropped and failed records with their reasons (the error rows are listed as outputs)."""
    notes = []
    if summary.get("dropped"):
        notes.append(f"{summary['dropped']} dropped: {counted(summary.get('drops') or {})}")
    if summary.get("failed"):
        notes.append(f"{summary['failed']} failed: {counted(summary.get('failures') or {})}")
    return "; ".join(notes)


def error_rows(summary: dict[str, Any]) -> list[Path]:
    return [Path(p) for p in summary.get("error_rows") or []]


def calls(summary: dict[str, Any]) -> str:
    n, cached = summary.get("llm_calls", 0), summary.get("cached_calls", 0)
    text = f"{n} model call{'s' * (n != 1)}"
    return text + (f" ({cached} from the call cache)" if cached else "")


MODELS = {"embedded": "the 0.5B default model", "embedded-tiny": "SmolLM2-135M"}


def model_of(out: Path) -> str:
    """The model a run used, from its effective config.yaml, in words."""
    found = re.search(r"^model: (\S+)", (out / "config.yaml").read_text(encoding="utf-8"), re.M)
    spec = found.group(1) if found else ""
    return MODELS.get(spec, spec or "the model")


def with_report(out: Path, outcome: Outcome, summary: dict[str, Any]) -> Outcome:
    """Its report.html (else the run folder), and its error rows."""
    report = out / "report.html"
    outcome.where = [report if report.is_file() else out, *error_rows(summary)]
    return outcome


@reader("models")
def _models(out: Path | None, stdout: str, root: Path) -> Outcome:
    specs = re.findall(r"^│ (\S+)", stdout, flags=re.M)
    return Outcome(f"{len(specs)} model specs: {', '.join(specs)}" if specs else "the model specs")


@reader("generate")
def _generate(out: Path | None, stdout: str, root: Path) -> Outcome:
    text = " ".join(stdout.split())
    if not text:
        return Outcome("no text", note="the model wrote nothing")
    return Outcome(f'"{text[:70]}{"..." if len(text) > 70 else ""}"')


@reader("pipeline")
def _pipeline(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    names = " -> ".join(st["stage"] for st in s.get("stages", []))
    rows = sum(1 for line in (out / "final.jsonl").open(encoding="utf-8") if line.strip())
    text = f"{rows} of {s['total']} records through {names}; {calls(s)}"
    note = run_notes(s) or ("" if rows else "no record made it through")
    return Outcome(text, note, [out / "final.jsonl", *error_rows(s)])


@reader("resume")
def _resume(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    stages = s.get("stages", [])
    skipped = sum(st.get("skipped", 0) for st in stages)
    total = sum(st.get("total", 0) for st in stages)
    text = f"{skipped} of {total} stage records skipped (done before); {calls(s)}"
    note = "" if skipped == total else f"{total - skipped} recomputed: the rerun did not resume"
    return Outcome(text, note)


@reader("report")
def _report(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    html = (out / "report.html").read_text(encoding="utf-8")
    sections = len(re.findall(r"<h2\b", html))
    return Outcome(
        f"report.html: {sections} sections, {len(html) // 1024} KB", where=[out / "report.html"]
    )


def _cell(x: Any) -> str:
    return "-" if x is None else f"{x:.1f}"


@reader("rmbench")
def _rmbench(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    sc = s.get("scores") or {}
    domains = " ".join(
        f"{d} {_cell(sc.get(d))}" for d in ("chat", "math", "code", "safety") if d in sc
    )
    text = (
        f"{s.get('rows', s.get('done'))} samples: accuracy {_cell(sc.get('overall'))} "
        f"(easy {_cell(sc.get('easy'))} / normal {_cell(sc.get('normal'))} / hard "
        f"{_cell(sc.get('hard'))}; {domains})"
    )
    notes = [run_notes(s)]
    if s.get("domains_missing"):
        notes.append(f"no {', '.join(s['domains_missing'])} samples in the example data")
    return with_report(out, Outcome(text, "; ".join(n for n in notes if n)), s)


@reader("agentwrite")
def _agentwrite(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    config = (out / "config.yaml").read_text(encoding="utf-8")
    target = re.search(r"(\d+)-word", config)
    words = s.get("output_words", 0)
    text = f"{s.get('kept', 0)} text, {words} words"
    note = run_notes(s)
    if target and words < int(target.group(1)) / 2:
        short = f"{words} of the {target.group(1)} words asked: {model_of(out)} stops early"
        note = "; ".join(n for n in (note, short) if n)
    text += f" from a plan and {max(s.get('llm_calls', 1) - 1, 0)} writing calls"
    return Outcome(text, note, [out / "final.jsonl"])


@reader("longbench")
def _longbench(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    sc = load_json(out / "scores.json")
    buckets = ", ".join(
        f"{b['bucket']} {_cell(b['length_score'])}" for b in sc.get("by_bucket", []) if b["n"]
    )
    text = f"{sc['n']} texts: S_l {_cell(sc.get('length_score'))} (by length asked: {buckets})"
    return with_report(out, Outcome(text, run_notes(s)), s)


def _why_no_constraint(out: Path) -> str:
    """What the dropped pairs' rows say: the constraints the check stage deleted (a dropped
    pair has none left), the refined instructions rejected."""
    deleted = rejected = 0
    for path in out.glob("*/records.dropped.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            meta = json.loads(line).get("_meta", {})
            changes = (meta.get("check_changes") or {}).values()
            deleted += sum(1 for c in changes if c.get("after") is None)
            rejected += len(meta.get("refine_rejected") or [])
    parts = []
    if deleted:
        parts.append(f"its own check deleted all {deleted} it wrote")
    if rejected:
        parts.append(f"{rejected} refined instruction{'s' * (rejected != 1)} echoed the prompt")
    return "; ".join(parts)


@reader("backtranslate")
def _backtranslate(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    kept = s.get("kept", s.get("rows", 0))
    types = s.get("constraint_types") or {}
    text = f"{kept} of {s['total']} pair{'s' * (s['total'] != 1)} kept"
    if types:
        text += f", constraints: {counted(types)}"
    text += f"; {calls(s)}"
    note = run_notes(s)
    if not kept and s.get("failed", 0) < s["total"]:
        why = _why_no_constraint(out)
        note = f"0 kept: no constraint by {model_of(out)} survived" + (f" ({why})" if why else "")
        # the drop reason says the same as the note; other reasons and failures are added
        other = {k: n for k, n in (s.get("drops") or {}).items() if k != NO_CONSTRAINT}
        rest = run_notes({**s, "dropped": sum(other.values()), "drops": other})
        note += f"; {rest}" if rest else ""
    elif not kept:
        note = f"0 kept: every pair failed ({run_notes(s)})"
    where = [Path(s["output"])] if kept and s.get("output") else []
    if s.get("dropped"):
        where += sorted(out.glob("*/records.dropped.jsonl"))
    return Outcome(text, note, [*where, *error_rows(s)])


@reader("ifeval")
def _ifeval(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = load_json(out / "summary.json")
    sc = s.get("scores") or {}
    text = (
        f"{sc.get('n')} responses: prompt strict {_cell(sc.get('prompt_level_strict'))} / "
        f"loose {_cell(sc.get('prompt_level_loose'))}, instruction strict "
        f"{_cell(sc.get('instruction_level_strict'))} / loose "
        f"{_cell(sc.get('instruction_level_loose'))}"
    )
    return with_report(out, Outcome(text, run_notes(s)), s)


@reader("deck")
def _deck(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    with zipfile.ZipFile(out) as z:
        slides = [n for n in z.namelist() if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)]
    return Outcome(f"{out.name}: {len(slides)} slides", where=[out])


def prepare_summary(agenda: Path, root: Path) -> dict[str, Any] | None:
    """`classroom prepare --out AGENDA` writes its summary into its --run-dir (the demo gives
    AGENDA's folder/classroom-prepare), else a new runs/classroom-prepare/ folder: the newest
    one that names this agenda."""
    beside = agenda.parent / "classroom-prepare" / "summary.json"
    found = sorted((root / "runs" / "classroom-prepare").glob("*/summary.json"), reverse=True)
    for path in [beside, *found] if beside.is_file() else found:
        summary = load_json(path)
        if Path(summary.get("agenda", "")).resolve() == agenda.resolve():
            return {**summary, "_path": path.parent}
    return None


def beyond_limit(summary: dict[str, Any]) -> int:
    """Problems that only say a page past ``--limit`` is missing from the agenda."""
    found = re.search(r"^limit: (\d+)", (summary["_path"] / "config.yaml").read_text(), re.M)
    if not found:
        return 0
    limit = int(found.group(1))
    missing = (re.fullmatch(r"P(\d+) is missing", p) for p in summary.get("problem_list", []))
    return sum(1 for m in missing if m and int(m.group(1)) > limit)


@reader("prepare")
def _prepare(out: Path | None, stdout: str, root: Path) -> Outcome:
    assert out is not None
    s = prepare_summary(out, root)
    if s is None:
        return Outcome("?", note="no summary.json names this agenda", where=[out])
    text = (
        f"{s['pages']} pages -> {s['sections']} sections, {s['questions']} questions; "
        f"{s['problems']} problems; {calls(s)}"
    )
    ruled = {st["stage"]: st.get("fallbacks") or 0 for st in s.get("stages", [])}
    notes = [run_notes(s)]
    if past := beyond_limit(s):
        notes.append(f"{past} of the problems are pages past --limit, counted as missing")
    if ruled.get("outline"):
        notes.append(f"the rule, not the model, placed {ruled['outline']} pages in the outline")
    if ruled.get("scripts"):
        notes.append(f"{ruled['scripts']} scripts fell back to the page title")
    if ruled.get("questions"):
        n = ruled["questions"]
        notes.append(
            f"{model_of(s['_path'])} wrote no usable quiz for {n} section{'s' * (n != 1)}: "
            "rule-made questions instead"
        )
    return Outcome(text, "; ".join(n for n in notes if n), [out, s["_path"], *error_rows(s)])


@reader("lecture")
def _lecture(out: Path | None, stdout: str, root: Path) -> Outcome:
    slides = len(re.findall(r"^--- slide \d+ ---", stdout, flags=re.M))
    speakers = Counter(re.findall(r"^\[([^\]]+)\]", stdout, flags=re.M))
    quizzes = stdout.count("Quiz time!")
    turns = counted(dict(speakers)) or "no turn"
    return Outcome(f"{slides} slides, turns: {turns}; {quizzes} quizzes")


def _rel(path: Path, run: Path, root: Path) -> str:
    for base in (run, root):
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def summary_table(results: list[Result], run: Path, seconds: float, root: Path) -> Any:
    """The closing table: one row per step, the system named on its first row."""
    from rich import box
    from rich.table import Table

    title = (
        f"lmforge demo: {len(results)} steps, {seconds:.0f} s; outputs in {_rel(run, root, root)}/"
    )
    table = Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1), title_justify="left")
    table.add_column("system", style="bold", no_wrap=True)
    table.add_column("step", no_wrap=True)
    table.add_column("s", justify="right", no_wrap=True)
    table.add_column("what it produced -> where", overflow="fold")
    previous = None
    for r in results:
        o = r.outcome
        where = ", ".join(dict.fromkeys(_rel(p, run, root) for p in o.where))
        first = " ".join(
            part
            for part in (
                f"[cyan]{o.produced}[/cyan]" if o.produced else "",
                f"[red](exit {r.code})[/red]" if r.code else "",
                f"[dim]-> {where}[/dim]" if where else "",
            )
            if part
        )
        text = first + (f"\n[yellow]{o.note}[/yellow]" if o.note else "")
        system = r.step.system if r.step.system != previous else ""
        previous = r.step.system
        table.add_row(system, r.step.label, f"{r.seconds:.0f}", text)
    return table


def print_summary(results: list[Result], run: Path, seconds: float, root: Path) -> None:
    """The table, then the failed steps and the HTML reports as full paths."""
    from rich.console import Console

    console = Console() if Console().is_terminal else Console(width=120)
    console.print()
    console.print(summary_table(results, run, seconds, root))
    failed = [r for r in results if r.code == 3]
    if failed:
        names = ", ".join(f"{r.step.system} {r.step.label}" for r in failed)
        console.print(f"[red]finished with failed records (exit 3): {names}[/red]")
    reports = [p for r in results for p in r.outcome.where if p.name == "report.html"]
    for path in dict.fromkeys(reports):
        console.print(f"HTML report: {path}")

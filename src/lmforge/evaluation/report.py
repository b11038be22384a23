"""One self-contained HTML report for any run directory.

A report must survive being mailed, attached to an issue or opened years later, so everything is
inline: CSS in the page, figures as base64 PNG. It reads only the run directory's files, so it
works on a killed run (a truncated last line is counted, not fatal) as well as a finished one.

Run directory layout (written by ``pipeline.runner``)::

    config.yaml          effective configuration
    summary.json         total, done, failed, skipped, tokens, wall_s, and any extra keys;
                         "report": [names] and/or "kind" choose the extra sections
    **/*.jsonl           per-record output of each stage ("id", optional "_meta")
    **/*.errors.jsonl    error rows ("_meta.error" holds the reason)

Systems add sections with :func:`report_section`. Shared code must not import systems, so a
name listed in ``summary["report"]`` that nobody has registered is looked up by convention in
``lmforge.<name>.report``, imported by name only when a run asks for it.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from lmforge.llm.errors import InputError

__all__ = [
    "Section",
    "SectionFn",
    "figure_to_data_uri",
    "new_figure",
    "register_section",
    "registered_sections",
    "render_report",
    "report_section",
]

SAMPLE_SIZE = 20
CELL_CHARS = 200
ERRORS_SUFFIX = ".errors.jsonl"


@dataclass
class Section:
    """A block of the report contributed by a system.

    ``html`` is inserted as is (trusted, written by the section's code: escape any record text
    it contains with ``markupsafe.escape``); ``table`` rows and ``text`` are escaped for you.
    """

    title: str
    html: str | None = None
    figures: list[Any] = field(default_factory=list)
    """matplotlib Figures; embedded as PNG and closed."""
    table: list[dict[str, Any]] | None = None
    text: str | None = None


SectionFn = Callable[[Path, dict[str, Any]], "Section | Iterable[Section] | None"]
_REGISTRY: dict[str, list[SectionFn]] = {}


def register_section(fn: SectionFn, *, name: str | None = None) -> SectionFn:
    """Add ``fn`` under ``name`` (default: the function's name).

    Several functions may share a name (one system, several plots); registering the same
    function again (a re-imported module) replaces it instead of doubling the section.
    """
    key = name or fn.__name__
    ident = (fn.__module__, fn.__qualname__)
    fns = [f for f in _REGISTRY.get(key, []) if (f.__module__, f.__qualname__) != ident]
    _REGISTRY[key] = [*fns, fn]
    return fn


def report_section(name: str) -> Callable[[SectionFn], SectionFn]:
    """Decorator form of :func:`register_section`."""
    return lambda fn: register_section(fn, name=name)


def registered_sections() -> dict[str, list[str]]:
    """Section names and the functions behind them, for listings and debugging."""
    return {k: [f"{f.__module__}.{f.__qualname__}" for f in v] for k, v in _REGISTRY.items()}


def new_figure(width: float = 6.4, height: float = 3.6) -> Any:
    """A matplotlib Figure on the Agg canvas, outside pyplot.

    pyplot keeps global state and may pick a GUI backend; report code runs in servers and
    threads, so figures are built directly. matplotlib is imported here, not at module import,
    because most commands never draw.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_to_data_uri(fig: Any, *, dpi: int = 100) -> str:
    """A figure as a ``data:image/png;base64,...`` URI for an ``<img src>``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# --------------------------------------------------------------------------- reading a run


@dataclass
class StageStats:
    """What one stage's JSONL files say, gathered in one streaming pass."""

    name: str
    """The file's path in the run directory without ``.jsonl`` / ``.errors.jsonl``."""
    stage: str = ""
    """``_meta.stage`` of its rows (the runner's stage name), when they carry one."""
    records: int = 0
    errors: int = 0
    unreadable: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    completion_tokens: list[int] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    reason_ids: dict[str, list[str]] = field(default_factory=dict)

    @property
    def mean_tokens(self) -> str:
        tokens = self.completion_tokens
        return f"{sum(tokens) / len(tokens):.1f}" if tokens else ""


def _stage_name(path: Path, run_dir: Path) -> str:
    rel = path.relative_to(run_dir).as_posix()
    return rel[: -len(ERRORS_SUFFIX)] if rel.endswith(ERRORS_SUFFIX) else rel[: -len(".jsonl")]


def _rows(path: Path) -> Iterable[dict[str, Any] | None]:
    """Each line as a dict, or None for a line that is not a JSON object (a killed writer)."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            yield row if isinstance(row, dict) else None


def scan_run(run_dir: Path, sample_size: int = SAMPLE_SIZE) -> list[StageStats]:
    """Per-file statistics of every JSONL file under ``run_dir`` (hidden folders skipped).

    A record is counted once per (stage, id) in the token histogram: ``final.jsonl`` repeats
    the last stage's rows and must not double its tokens.
    """
    stages: dict[str, StageStats] = {}
    seen: set[tuple[str, str]] = set()
    for path in sorted(run_dir.rglob("*.jsonl")):
        if any(p.startswith(".") for p in path.relative_to(run_dir).parts):
            continue
        name = _stage_name(path, run_dir)
        stats = stages.setdefault(name, StageStats(name))
        is_errors = path.name.endswith(ERRORS_SUFFIX)
        for row in _rows(path):
            if row is None:
                stats.unreadable += 1
                continue
            stats.stage = stats.stage or str(_meta(row).get("stage") or "")
            if is_errors:
                _add_error(stats, row)
                continue
            stats.records += 1
            if len(stats.sample) < sample_size:
                stats.sample.append(row)
            tokens = _completion_tokens(_meta(row).get("usage"))
            key = (stats.stage or name, str(row.get("id")))
            if tokens is not None and ("id" not in row or key not in seen):
                stats.completion_tokens.append(tokens)
                seen.add(key)
    return list(stages.values())


def _meta(row: dict[str, Any]) -> dict[str, Any]:
    return row["_meta"] if isinstance(row.get("_meta"), dict) else {}


def _completion_tokens(usage: Any) -> int | None:
    """Completion tokens of a record; a list of usages (several calls) is summed."""
    if isinstance(usage, list):
        counts = [c for c in map(_completion_tokens, usage) if c is not None]
        return sum(counts) if counts else None
    if isinstance(usage, dict):
        value = usage.get("completion_tokens", usage.get("output_tokens"))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
    return None


def _add_error(stats: StageStats, row: dict[str, Any]) -> None:
    stats.errors += 1
    reason = _error_reason(_meta(row).get("error", row.get("error")))
    stats.reasons[reason] += 1
    ids = stats.reason_ids.setdefault(reason, [])
    if len(ids) < 3 and "id" in row:
        ids.append(str(row["id"]))


def _error_reason(error: Any) -> str:
    """A grouping key that does not split one failure mode into one row per record.

    The runner stores ``"ExcType: message"``; a ``ParseFailure`` message is ``"reason:
    detail"``, so the key keeps the type and the first clause (``ParseFailure: no JSON
    found``) and drops per-record detail. A dict uses its ``reason`` or ``type``.
    """
    if isinstance(error, dict):
        error = error.get("reason") or error.get("type") or json.dumps(error, sort_keys=True)
    text = str(error).strip() if error else ""
    if not text:
        return "unknown error"
    return _truncate(": ".join(text.splitlines()[0].split(": ")[:2]), 160)


# --------------------------------------------------------------------------- formatting


def _truncate(text: str, limit: int = CELL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(value: Any) -> str:
    """A table cell: short, one value, readable for nested data."""
    if isinstance(value, str):
        return _truncate(value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.4g}"
    if isinstance(value, int):
        return str(value)
    return _truncate(json.dumps(value, ensure_ascii=False, default=str))


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """``{"scores": {"acc": 1}}`` -> ``("scores.acc", 1)``: nested scores read as rows."""
    for key, value in data.items():
        if isinstance(value, dict) and value:
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows of dicts -> columns (union, first-seen order) and stringified cells."""
    columns: list[str] = []
    for row in rows:
        columns += [str(k) for k in row if str(k) not in columns]
    body = [[_cell(row.get(c, "")) for c in columns] for row in rows]
    return {"columns": columns, "rows": body}


# --------------------------------------------------------------------------- the report


def render_report(
    run_dir: str | Path, *, out: str | Path | None = None, strict: bool = False
) -> Path:
    """Write ``run_dir/report.html`` (or ``out``) and return its path.

    A section that raises is shown as an error box so one broken plot does not cost the whole
    report; ``strict=True`` re-raises instead (tests of section code want the traceback).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError("run directory does not exist", path=run_dir)
    notes: list[str] = []
    summary = _read_summary(run_dir, notes)
    stages = scan_run(run_dir)
    tables = {k: v for k, v in summary.items() if _is_rows(v)}
    scalars = {k: v for k, v in summary.items() if k not in tables}
    what = summary.get("what") or summary.get("kind")
    context = {
        "title": f"{what}: {run_dir.resolve().name}" if what else run_dir.resolve().name,
        "run_dir": str(run_dir.resolve()),
        "config": _read_text(run_dir / "config.yaml", notes),
        "summary": [(k, _cell(v)) for k, v in _flatten(scalars) if k != "report"],
        "summary_tables": [(k, _table(v)) for k, v in tables.items()],
        "stages": stages,
        "errors": _error_table(stages),
        "token_figure": _token_histogram(stages),
        "samples": [(s.name, _table(s.sample)) for s in stages if s.sample],
        "sections": _custom_sections(run_dir, summary, notes, strict),
        "notes": notes,
    }
    html = _template().render(**context)
    target = Path(out) if out is not None else run_dir / "report.html"
    target.write_text(html, encoding="utf-8")
    return target


def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    source = files("lmforge.evaluation").joinpath("report.html.j2").read_text(encoding="utf-8")
    return env.from_string(source)


def _read_text(path: Path, notes: list[str]) -> str | None:
    if not path.is_file():
        notes.append(f"{path.name} not found")
        return None
    return path.read_text(encoding="utf-8", errors="replace")


def _read_summary(run_dir: Path, notes: list[str]) -> dict[str, Any]:
    """summary.json, or {} with a note: a run killed before writing one still gets a report."""
    text = _read_text(run_dir / "summary.json", notes)
    if text is None:
        return {}
    try:
        summary = json.loads(text)
    except ValueError as exc:
        notes.append(f"summary.json is not valid JSON ({exc})")
        return {}
    if not isinstance(summary, dict):
        notes.append("summary.json is not a JSON object")
        return {}
    return summary


def _error_table(stages: list[StageStats]) -> list[dict[str, Any]]:
    rows = [
        {"stage": s.name, "reason": reason, "count": n, "ids": ", ".join(s.reason_ids[reason])}
        for s in stages
        for reason, n in s.reasons.items()
    ]
    return sorted(rows, key=lambda r: (-r["count"], r["stage"], r["reason"]))


def _token_histogram(stages: list[StageStats]) -> str | None:
    """Completion tokens per record, stacked by stage: shows truncation at max_tokens and
    degenerate (empty, looping) outputs at a glance."""
    data = [(s.stage or s.name, s.completion_tokens) for s in stages if s.completion_tokens]
    if not data:
        return None
    fig = new_figure()
    ax = fig.add_subplot()
    ax.hist([d for _, d in data], bins=30, stacked=True, label=[n for n, _ in data])
    ax.set_xlabel("completion tokens per record")
    ax.set_ylabel("records")
    if len(data) > 1:
        ax.legend(fontsize="small")
    return figure_to_data_uri(fig)


def _selected(summary: dict[str, Any], notes: list[str]) -> list[str]:
    """Section names a run asks for: ``report`` (explicit; unknown names are noted), then
    ``kind`` and ``what`` (implicit: used only when some system registered that name)."""
    wanted = summary.get("report") or []
    names = [wanted] if isinstance(wanted, str) else [str(n) for n in wanted]
    for name in names:
        if not _ensure_registered(name, notes):
            notes.append(f"no report section registered under '{name}'")
    for key in ("kind", "what"):
        kind = summary.get(key)
        if isinstance(kind, str) and kind not in names and _ensure_registered(kind, notes):
            names.append(kind)
    return [n for n in dict.fromkeys(names) if n in _REGISTRY]


def _ensure_registered(name: str, notes: list[str]) -> bool:
    """Sections come from system modules the caller imported (``lmforge report`` imports every
    system's ``report`` module); the shared core never imports a system itself."""
    return name in _REGISTRY


def _custom_sections(
    run_dir: Path, summary: dict[str, Any], notes: list[str], strict: bool
) -> list[dict[str, Any]]:
    rendered: list[dict[str, Any]] = []
    for name in _selected(summary, notes):
        for fn in _REGISTRY[name]:
            try:
                result = fn(run_dir, summary)
                sections = [result] if isinstance(result, Section) else list(result or [])
                rendered += [_render_section(s) for s in sections]
            except Exception as exc:
                if strict:
                    raise
                title = f"{name}: {fn.__qualname__} failed"
                rendered.append({"title": title, "error": f"{type(exc).__name__}: {exc}"})
    return rendered


def _render_section(section: Section) -> dict[str, Any]:
    try:
        images = [figure_to_data_uri(fig) for fig in section.figures]
    finally:  # systems may draw with pyplot, which keeps every figure alive until closed
        pyplot = sys.modules.get("matplotlib.pyplot")
        for fig in section.figures if pyplot else ():
            pyplot.close(fig)
    return {
        "title": section.title,
        "html": Markup(section.html) if section.html else None,
        "text": section.text,
        "images": images,
        "table": _table(section.table) if section.table else None,
    }

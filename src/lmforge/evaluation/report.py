"""One self-contained HTML report for any run directory.

A report must survive being mailed, attached to an issue or opened years later, so everything is
inline: CSS in the page, figures as base64 PNG. It reads only the run directory's files, so it
works on a killed run (a truncated last line is counted, not fatal) as well as a finished one.

Run directory layout (written by ``pipeline.runner``; read by :mod:`.runscan`)::

    config.yaml          effective configuration
    summary.json         total, done, failed, skipped, tokens, wall_s, and any extra keys;
                         "report": [names] and/or "kind" choose the extra sections
    **/*.jsonl           per-record output of each stage ("id", optional "_meta")
    **/*.errors.jsonl    error rows ("_meta.error" holds the reason)

The page, top to bottom: the paper's headline table of the benchmark with the published rows
beside this run's (a :class:`~lmforge.evaluation.references.Headline` a system's section
returns), then the systems' figures, the run (counts and costs over the whole run, resumes
included; every summary key folded below), stages, errors, completion tokens (only where a
model was called), sample records and the configuration.

Systems add sections with :func:`report_section`, in the modules their ``System`` declares as
``reports`` (``lmforge report`` imports them; shared code never imports a system). A run
selects sections by the names in ``summary["report"]``, then by its ``kind`` and ``what``.
"""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict

from lmforge.errors import InputError

# Reading a run lives in ``runscan``; the ``X as X`` names are re-exported from here as before.
from lmforge.evaluation.runscan import CELL_CHARS as CELL_CHARS
from lmforge.evaluation.runscan import ERRORS_SUFFIX as ERRORS_SUFFIX
from lmforge.evaluation.runscan import SAMPLE_SIZE as SAMPLE_SIZE
from lmforge.evaluation.runscan import StageStats, coverage_notes, flatten, run_rows, scan_run
from lmforge.evaluation.runscan import _error_reason as _error_reason
from lmforge.evaluation.runscan import cell as _cell
from lmforge.inputs import input_limits, loads_yaml, read_json, read_text
from lmforge.pipeline.records import check_row
from lmforge.registry import Registry

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
SECTIONS: Registry[list[SectionFn]] = Registry("report section")
"""Section functions by name (a name may hold several: one system, several plots)."""


def register_section(fn: SectionFn, *, name: str | None = None) -> SectionFn:
    """Add ``fn`` under ``name`` (default: the function's name).

    Several functions may share a name (one system, several plots); registering the same
    function again (a re-imported module) replaces it instead of doubling the section.
    """
    key = name or fn.__name__
    ident = (fn.__module__, fn.__qualname__)
    fns = SECTIONS.find(key)
    if fns is None:
        fns = SECTIONS.add(key, [], help=(fn.__doc__ or "").strip().partition("\n")[0])
    fns[:] = [f for f in fns if (f.__module__, f.__qualname__) != ident] + [fn]
    return fn


def report_section(name: str) -> Callable[[SectionFn], SectionFn]:
    """Decorator form of :func:`register_section`."""
    return lambda fn: register_section(fn, name=name)


def registered_sections() -> dict[str, list[str]]:
    """Section names and the functions behind them, for listings and debugging."""
    return {k: [f"{f.__module__}.{f.__qualname__}" for f in v] for k, v in SECTIONS.items()}


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


# --------------------------------------------------------------------------- formatting


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


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
    config = _read_config(run_dir, notes)
    stages = scan_run(run_dir)
    tables = {k: v for k, v in summary.items() if _is_rows(v)}
    scalars = {k: v for k, v in summary.items() if k not in tables}
    what = summary.get("what") or summary.get("kind")
    rendered = _custom_sections(run_dir, summary, notes, strict)
    lead = [s for s in rendered if "headline" in s or "error" in s]
    for headline in lead:
        if "headline" in headline:
            headline["notes"] = [*headline["notes"], *coverage_notes(summary)]
    context = {
        "title": f"{what}: {run_dir.resolve().name}" if what else run_dir.resolve().name,
        "run_dir": str(run_dir.resolve()),
        "config": config,
        "headlines": lead,
        "run": run_rows(summary, scores=not any("headline" in s for s in lead)),
        "summary": [(k, _cell(v)) for k, v in flatten(scalars) if k != "report"],
        "summary_tables": [(k, _table(v)) for k, v in tables.items()],
        "stages": stages,
        "errors": _error_table(stages),
        "token_figure": _token_histogram(stages),
        "samples": [(s.name, _table(s.sample)) for s in stages if s.sample],
        "sections": [s for s in rendered if s not in lead],
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
    return read_text(path, limit=input_limits().yaml_bytes)


class _SummaryShape(BaseModel):
    """The keys of ``summary.json`` the report acts on; the rest is shown as it is."""

    model_config = ConfigDict(extra="allow")

    what: str | None = None
    kind: str | None = None
    report: str | list[str] | None = None


def _read_summary(run_dir: Path, notes: list[str]) -> dict[str, Any]:
    """summary.json, or {} with a note when there is none (a run killed before writing one
    still gets a report); one that is there but damaged is refused in one line (exit 2)."""
    path = run_dir / "summary.json"
    if not path.is_file():
        notes.append("summary.json not found")
        return {}
    summary = read_json(path, allow_nan=True)  # written by lmforge: a NaN score is no score
    if not isinstance(summary, dict):
        raise InputError("expected a JSON object (a damaged run folder?)", path=path)
    check_row(_SummaryShape, summary, path=path, line=None)
    return summary


def _read_config(run_dir: Path, notes: list[str]) -> str | None:
    """config.yaml as written, after the same YAML checks as ``--config`` (bounded aliases)."""
    text = _read_text(run_dir / "config.yaml", notes)
    if text is not None:
        loads_yaml(text, run_dir / "config.yaml", what="config")
    return text


def _error_table(stages: list[StageStats]) -> list[dict[str, Any]]:
    rows = [
        {"stage": s.name, "reason": reason, "count": n, "ids": ", ".join(s.reason_ids[reason])}
        for s in stages
        for reason, n in s.reasons.items()
    ]
    return sorted(rows, key=lambda r: (-r["count"], r["stage"], r["reason"]))


def _token_histogram(stages: list[StageStats]) -> str | None:
    """Completion tokens per record, stacked by stage: shows truncation at max_tokens and
    degenerate (empty, looping) outputs at a glance. Stages whose records made no model
    call (a rule scorer, all zeros) have nothing to show and are left out."""
    data = [(s.stage or s.name, s.completion_tokens) for s in stages if any(s.completion_tokens)]
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
    return [n for n in dict.fromkeys(names) if n in SECTIONS]


def _ensure_registered(name: str, notes: list[str]) -> bool:
    """Sections come from system modules the caller imported (``lmforge report`` imports every
    system's ``report`` module); the shared core never imports a system itself."""
    return name in SECTIONS


def _custom_sections(
    run_dir: Path, summary: dict[str, Any], notes: list[str], strict: bool
) -> list[dict[str, Any]]:
    """Every selected section, headlines (and sections that failed) first: a paper's table
    opens the report. A function registered under two selected names runs once."""
    from lmforge.evaluation.references import Headline

    rendered: list[tuple[bool, dict[str, Any]]] = []
    done: set[tuple[str, str]] = set()
    for name in _selected(summary, notes):
        for fn in SECTIONS.get(name):
            if (ident := (fn.__module__, fn.__qualname__)) in done:
                continue
            done.add(ident)
            try:
                result = fn(run_dir, summary)
                sections = [result] if isinstance(result, Section) else list(result or [])
                rendered += [(isinstance(s, Headline), _render_section(s)) for s in sections]
            except Exception as exc:
                if strict:
                    raise
                title = f"{name}: {fn.__qualname__} failed"  # said at the top, not buried
                rendered.append((True, {"title": title, "error": f"{type(exc).__name__}: {exc}"}))
    return [s for lead, s in rendered if lead] + [s for lead, s in rendered if not lead]


def _render_section(section: Section) -> dict[str, Any]:
    from lmforge.evaluation.references import Headline, headline_table

    try:
        images = [figure_to_data_uri(fig) for fig in section.figures]
    finally:  # systems may draw with pyplot, which keeps every figure alive until closed
        pyplot = sys.modules.get("matplotlib.pyplot")
        for fig in section.figures if pyplot else ():
            pyplot.close(fig)
    out = {
        "title": section.title,
        "html": Markup(section.html) if section.html else None,
        "text": section.text,
        "images": images,
        "table": _table(section.table) if section.table else None,
    }
    if isinstance(section, Headline):
        out.update(headline=headline_table(section), source=section.source, notes=section.notes)
    return out

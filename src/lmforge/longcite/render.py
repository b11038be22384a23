"""Showing a cited answer: each statement beside the sentences it cites.

Three views of one :class:`~lmforge.longcite.parse.ParsedAnswer`: plain lines (what
``lmforge longcite answer`` prints, so it can be piped), a rich table for a terminal, and a
standalone HTML page (statement left, cited text right, free text across both columns). A
reader checks a citation by reading the two side by side, so the cited text is shown in full.
"""

from __future__ import annotations

import html
import io

from .parse import ParsedAnswer, Statement

__all__ = ["render_html", "render_lines", "render_terminal"]


def _label(piece: Statement) -> str:
    spans = piece.citation or ()
    return "".join(f"[{c.start_sentence_idx}-{c.end_sentence_idx}]" for c in spans)


def render_lines(parsed: ParsedAnswer) -> list[str]:
    """Plain text: each statement with its span labels, then each cited text indented."""
    lines: list[str] = []
    for piece in parsed.pieces:
        text = piece.statement.strip()
        if piece.citation is None:
            if text:
                lines.append(text)
            continue
        lines.append(f"{text} {_label(piece)}".rstrip())
        for cite in piece.citation:
            quoted = " ".join(cite.cite.split())
            lines.append(f"    [{cite.start_sentence_idx}-{cite.end_sentence_idx}] {quoted}")
    return lines


def render_terminal(parsed: ParsedAnswer, *, width: int = 100, color: bool = False) -> str:
    """A two-column rich table (statement | cited sentences) as text."""
    from rich.console import Console
    from rich.table import Table

    table = Table("statement", "cited sentences", show_lines=True, expand=True)
    for piece in parsed.pieces:
        text = piece.statement.strip()
        if piece.citation is None:
            if text:
                table.add_row(f"[dim]{_escape(text)}[/dim]", "")
            continue
        cites = "\n".join(
            f"[bold][{c.start_sentence_idx}-{c.end_sentence_idx}][/bold] {_escape(c.cite.strip())}"
            for c in piece.citation
        )
        table.add_row(_escape(text), cites or "[dim](no citation)[/dim]")
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, color_system=None)
    console.print(table)
    return buffer.getvalue()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;line-height:1.45}
table{border-collapse:collapse;width:100%}td{vertical-align:top;padding:.5rem;
border-top:1px solid #ddd}td.s{width:45%}td.free{color:#666}.span{font-weight:600;
color:#225}blockquote{margin:0 0 .5rem 0;padding-left:.5rem;border-left:3px solid #99b;
white-space:pre-wrap}.none{color:#a33}
"""


def render_html(parsed: ParsedAnswer, *, title: str = "Cited answer", query: str = "") -> str:
    """A standalone HTML page: one row per statement, its cited text beside it."""
    rows = []
    for piece in parsed.pieces:
        text = html.escape(piece.statement.strip())
        if piece.citation is None:
            if text:
                rows.append(f'<tr><td class="free" colspan="2">{text}</td></tr>')
            continue
        cites = "".join(
            f'<blockquote><span class="span">[{c.start_sentence_idx}-{c.end_sentence_idx}]'
            f"</span> {html.escape(c.cite.strip())}</blockquote>"
            for c in piece.citation
        )
        cites = cites or '<span class="none">no citation</span>'
        rows.append(f'<tr><td class="s">{text}</td><td>{cites}</td></tr>')
    question = f"<p><b>Question:</b> {html.escape(query)}</p>" if query else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{question}"
        f"<table>{''.join(rows)}</table></body></html>\n"
    )

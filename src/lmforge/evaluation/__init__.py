"""Shared evaluation machinery: benchmarks, judges, metrics and run reports.

Only the report is exported here so far; the benchmark, judge and metrics modules add their
names to ``__all__`` as they land.
"""

from lmforge.evaluation.report import (
    Section,
    SectionFn,
    figure_to_data_uri,
    new_figure,
    register_section,
    registered_sections,
    render_report,
    report_section,
)

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

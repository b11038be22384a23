"""The HTML run report: summary, stages, errors, figures, escaping, system sections."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from helpers import write_jsonl
from lmforge.errors import InputError
from lmforge.evaluation import (
    Section,
    figure_to_data_uri,
    new_figure,
    register_section,
    registered_sections,
    render_report,
    report_section,
)
from lmforge.evaluation import report as report_module
from lmforge.registry import Registry

INJECTION = '<script>alert("pwned")</script>'
PNG_URI = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A run as the runner leaves it: two stages in signature folders, errors, final.jsonl."""
    run = tmp_path / "runs" / "demo" / "20250101-000000"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text("model: embedded\nseed: 7\nprompt_note: '<b>raw</b>'\n")
    summary = {
        "what": "demo",
        "total": 25,
        "done": 23,
        "failed": 2,
        "skipped": 0,
        "tokens": 98765,
        "wall_s": 12.3456,
        "scores": {"accuracy": 0.8125, "macro_f1": 0.5},
        "stages": [{"stage": "draft", "done": 24}, {"stage": "judge", "done": 23}],
    }
    (run / "summary.json").write_text(json.dumps(summary))
    drafts = [
        {
            "id": f"r{i}",
            "text": INJECTION if i == 0 else "x" * 500,
            "_meta": {"stage": "draft", "usage": {"prompt_tokens": 5, "completion_tokens": 10 * i}},
        }
        for i in range(24)
    ]
    write_jsonl(run / "draft-aaaa" / "records.jsonl", [*drafts, '{"id": "r24", "te'])  # torn tail
    errors = [
        {
            "id": "r24",
            "_meta": {"stage": "draft", "error": "ParseFailure: no JSON found: 12 chars"},
        },
    ]
    write_jsonl(run / "draft-aaaa" / "records.errors.jsonl", errors)
    judged = [
        {
            "id": d["id"],
            "verdict": "A",
            "_meta": {"stage": "judge", "usage": {"completion_tokens": 3}},
        }
        for d in drafts[:23]
    ]
    write_jsonl(run / "draft-aaaa" / "judge-bbbb" / "records.jsonl", judged)
    write_jsonl(
        run / "draft-aaaa" / "judge-bbbb" / "records.errors.jsonl",
        [{"id": "r23", "_meta": {"stage": "judge", "error": "ParseFailure: no JSON found: 99 c"}}],
    )
    write_jsonl(run / "final.jsonl", judged)
    return run


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_module, "SECTIONS", Registry("report section"))


def render(run_dir: Path, **kw) -> str:
    path = render_report(run_dir, **kw)
    assert path == kw.get("out", run_dir / "report.html")
    return path.read_text(encoding="utf-8")


def test_report_shows_summary_values(run_dir, clean_registry):
    html = render(run_dir)
    for value in ("25", "23", "98765", "12.3456", "0.8125"):
        assert f'<td class="num">{value}</td>' in html
    assert "scores.accuracy" in html and "scores.macro_f1" in html
    assert html.count("<h3>stages</h3>") == 1  # a list of rows becomes a table
    assert "demo: 20250101-000000" in html


def test_report_is_self_contained_with_an_embedded_png(run_dir, clean_registry):
    html = render(run_dir)
    images = PNG_URI.findall(html)
    assert images, "the completion-token histogram should be embedded"
    assert base64.b64decode(images[0]).startswith(b"\x89PNG\r\n\x1a\n")
    assert "<style>" in html
    assert not re.search(r'<(?:link|script)[^>]*(?:href|src)="(?:https?:)?//', html)


def test_record_text_is_escaped(run_dir, clean_registry):
    html = render(run_dir)
    assert INJECTION not in html
    assert "<script" not in html
    assert "&lt;script&gt;alert(" in html
    assert "&lt;b&gt;raw&lt;/b&gt;" in html  # the config is text too


def test_stage_counts_and_torn_tail(run_dir, clean_registry):
    stats = {s.name: s for s in report_module.scan_run(run_dir)}
    draft = stats["draft-aaaa/records"]
    assert (draft.stage, draft.records, draft.errors, draft.unreadable) == ("draft", 24, 1, 1)
    judge = stats["draft-aaaa/judge-bbbb/records"]
    assert (judge.records, judge.errors, judge.unreadable) == (23, 1, 0)
    assert len(draft.completion_tokens) == 24
    assert stats["final"].records == 23
    assert stats["final"].completion_tokens == []  # same (stage, id) as judge: not counted twice
    html = render(run_dir)
    assert "draft-aaaa/judge-bbbb/records" in html


def test_samples_are_capped_and_truncated(run_dir, clean_registry):
    html = render(run_dir)
    assert ">r19<" in html and ">r20<" not in html.split("Sample records")[1].split("</details>")[0]
    assert "x" * 500 not in html
    assert "x" * 199 + "…" in html


def test_error_reasons_are_grouped(run_dir, clean_registry):
    html = render(run_dir)
    rows = report_module._error_table(report_module.scan_run(run_dir))
    assert {r["reason"] for r in rows} == {"ParseFailure: no JSON found"}
    assert sum(r["count"] for r in rows) == 2
    assert "ParseFailure: no JSON found" in html and "12 chars" not in html


def test_error_reason_forms():
    reason = report_module._error_reason
    assert reason("RateLimitError: HTTP 429: slow down") == "RateLimitError: HTTP 429"
    assert reason({"reason": "no rating found", "message": "x"}) == "no rating found"
    assert reason({"type": "ServerError"}) == "ServerError"
    assert reason(None) == "unknown error"
    assert reason("line one\nline two") == "line one"


def test_registered_section_is_rendered(run_dir, clean_registry):
    calls = []

    @report_section("demo_plots")
    def lengths(path: Path, summary: dict) -> Section:
        calls.append((path, summary["total"]))
        fig = new_figure()
        fig.add_subplot().bar(["a", "b"], [1, 2])
        return Section(
            "Length control",
            html="<p class='custom'>trusted <em>markup</em></p>",
            figures=[fig],
            table=[{"bucket": "<100", "score": 0.75}, {"bucket": "100-500", "note": INJECTION}],
            text="plain <text>",
        )

    summary = json.loads((run_dir / "summary.json").read_text())
    summary["report"] = ["demo_plots"]
    (run_dir / "summary.json").write_text(json.dumps(summary))
    html = render(run_dir, strict=True)
    assert calls == [(run_dir, 25)]
    assert "<h2>Length control</h2>" in html
    assert "<p class='custom'>trusted <em>markup</em></p>" in html
    assert "plain &lt;text&gt;" in html
    assert "&lt;100" in html and INJECTION not in html
    assert len(PNG_URI.findall(html)) == 2  # histogram + the section's figure


def test_section_chosen_by_kind_and_what(run_dir, clean_registry):
    register_section(lambda p, s: Section("By what", text="what section"), name="demo")
    assert "what section" in render(run_dir)
    summary = {"kind": "k1", "total": 1}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    register_section(lambda p, s: [Section("One"), Section("Two")], name="k1")
    html = render(run_dir)
    assert "<h2>One</h2>" in html and "<h2>Two</h2>" in html


def test_unknown_section_name_is_noted(run_dir, clean_registry):
    (run_dir / "summary.json").write_text(json.dumps({"report": "no_such_system_x"}))
    assert "no report section registered under &#39;no_such_system_x&#39;" in render(run_dir)


def test_failing_section_is_contained_unless_strict(run_dir, clean_registry):
    @report_section("demo")
    def broken(path: Path, summary: dict) -> Section:
        raise RuntimeError("bad <plot>")

    html = render(run_dir)
    assert "RuntimeError: bad &lt;plot&gt;" in html
    assert "Completion tokens" in html
    with pytest.raises(RuntimeError):
        render_report(run_dir, strict=True)


def test_reregistering_a_function_replaces_it(clean_registry):
    def section(path: Path, summary: dict) -> None:
        return None

    register_section(section, name="x")
    register_section(section, name="x")
    assert registered_sections() == {"x": [f"{__name__}.{section.__qualname__}"]}


def test_minimal_run_dir(tmp_path, clean_registry):
    html = render(tmp_path)
    assert "summary.json not found" in html and "config.yaml not found" in html
    assert "No JSONL files" in html
    assert "data:image/png" not in html


def test_damaged_summary_is_one_input_error(tmp_path, clean_registry):
    """A summary.json that is there but damaged is refused in one line (a missing one is a
    note: a killed run still gets its report)."""
    from lmforge.errors import InputError

    (tmp_path / "summary.json").write_text("{not json")
    with pytest.raises(InputError, match=r"summary.json:1: invalid JSON"):
        render(tmp_path)
    (tmp_path / "summary.json").write_text('{"report": 5}')
    with pytest.raises(InputError, match=r"summary.json: field 'report'"):
        render(tmp_path)


def test_out_path(run_dir, tmp_path, clean_registry):
    target = tmp_path / "elsewhere.html"
    assert render_report(run_dir, out=target) == target
    assert target.read_text().startswith("<!DOCTYPE html>")


def test_missing_run_dir(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        render_report(tmp_path / "nope")


def test_figure_to_data_uri():
    fig = new_figure(2, 1)
    fig.add_subplot().plot([0, 1], [1, 0])
    uri = figure_to_data_uri(fig)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1])[:4] == b"\x89PNG"


def test_run_reading_moved_to_runscan_and_is_still_importable_from_report():
    from lmforge.evaluation import runscan

    for name in ("StageStats", "scan_run", "SAMPLE_SIZE", "ERRORS_SUFFIX", "_error_reason"):
        assert getattr(report_module, name) is getattr(runscan, name)
    assert runscan.truncate("x" * 10, 5) == "xxxx…"
    assert runscan.truncate("xxxxx", 5) == "xxxxx"


def test_runscan_sums_usage_lists_and_skips_hidden_folders(tmp_path):
    from lmforge.evaluation.runscan import scan_run

    usage = [{"completion_tokens": 4}, {"output_tokens": 6}, {"completion_tokens": True}]
    write_jsonl(tmp_path / "s.jsonl", [{"id": 1, "_meta": {"usage": usage}}, {"no_id": 1}])
    write_jsonl(tmp_path / ".cache" / "hidden.jsonl", [{"id": 2}])
    (stats,) = scan_run(tmp_path)
    assert (stats.name, stats.records, stats.completion_tokens) == ("s", 2, [10])
    assert stats.mean_tokens == "10.0"

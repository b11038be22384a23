"""Every benchmark's report opens with the paper's headline table, this run's row above the
published reference rows; generic sections appear only where they mean something; a resumed
run's report covers the whole run.

Run folders are made by the real commands (``lmforge eval NAME`` as ``run_eval``, ``lmforge
rmbench run``, ``lmforge longwriter ruler``) with rule scorers, given predictions or the
scripted model, and rendered by ``lmforge report``.
"""

from __future__ import annotations

import csv
import html as htmllib
import json
import re
from pathlib import Path

import pytest

from helpers import lmforge_cli, write_jsonl
from lmforge.evaluation.commands import EvalConfig, ReportConfig, benchmarks, report, run_eval

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


@pytest.fixture(autouse=True)
def _no_leaderboard_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the report shows must not depend on this machine's environment."""
    monkeypatch.delenv("LMFORGE_RMBENCH_LEADERBOARD", raising=False)
    monkeypatch.delenv("LMFORGE_RMBENCH_DATA", raising=False)


# --------------------------------------------------------------------------- reading a page


def headline(page: str) -> str:
    """The first headline block of a report; fails unless it comes before every other
    section heading and every table of the page."""
    start = page.index('<section class="headline"')
    first_h2, first_table = page.index("<h2>"), page.index("<table")
    assert start < first_h2 and start < first_table, "the headline table must come first"
    block = page[start : page.index("</section>", start)]
    assert block.index("<table") < block.index("</table>")
    return block


def run_rows(block: str) -> list[list[str]]:
    return _rows(block, "run")


def published(block: str) -> list[list[str]]:
    """Cells of the published rows (the table's and the folded rest), in order."""
    return _rows(block, "ref")


def _rows(block: str, cls: str) -> list[list[str]]:
    rows = re.findall(rf'<tr class="{cls}">(.*?)</tr>', block, re.S)
    return [
        [htmllib.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)] for r in rows
    ]


def render(run: Path) -> str:
    """``lmforge report RUN`` (every system's report module imported, as the CLI does)."""
    (path,) = report(ReportConfig(run_dir=run))
    return Path(path).read_text(encoding="utf-8")


def fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


# --------------------------------------------------------------------------- small data sets


def followbench_data(root: Path) -> tuple[Path, Path]:
    """One rule-checked category (``example``), two groups, and answers to it."""
    items = [
        {"example_id": e, "category": "example", "source": "x", "level": lv,
         "instruction": f"e{e}/{lv}", "target": "{instruction}\nBOT: {answer}", "answer": "BOT: a"}
        for e in (1, 2) for lv in range(1, 6)
    ]  # fmt: skip
    folder = root / "followbench"
    folder.mkdir()
    (folder / "example_constraints.json").write_text(json.dumps(items))
    answers = [
        {"category": "example", "example_id": e, "level": lv,
         "response": "BOT: yes" if e == 1 or lv <= 2 else "no"}
        for e in (1, 2) for lv in range(1, 6)
    ]  # fmt: skip
    return folder, write_jsonl(root / "fb_answers.jsonl", answers)


def leceval_data(root: Path) -> Path:
    texts = ["Hello class. Today we learn sets.", "Let us imagine you are a cell. Why?",
             "Vectors add. Matrices multiply. We will see why.", "Short.",
             "Your turn: what do you think happens next? We try it together."]  # fmt: skip
    rubrics = ("content_relevance", "expressive_clarity", "logical_structure",
               "audience_engagement")  # fmt: skip
    rows = [
        {"id": f"s{i}", "transcript": t,
         "rate": {r: [1 + (i * k) % 5] for k, r in enumerate(rubrics, start=1)}}
        for i, t in enumerate(texts)
    ]  # fmt: skip
    write_jsonl(root / "leceval" / "toy_metadata.jsonl", rows)
    return root / "leceval"


def eval_config(name: str, tmp_path: Path) -> EvalConfig:
    """A small run of benchmark ``name`` that needs no real model."""
    if name == "ifeval":
        return EvalConfig(
            name=name,
            predictions=EXAMPLES / "crab" / "ifeval_responses.jsonl",
            options={"data": str(EXAMPLES / "crab" / "ifeval_inputs.jsonl")},
        )
    if name == "rmbench":
        return EvalConfig(
            name=name, options={"scorer": "length", "data": str(EXAMPLES / "rmbench")}
        )
    if name == "longbench_write":
        predictions = EXAMPLES / "longwriter" / "predictions.jsonl"
        return EvalConfig(name=name, predictions=predictions, options={"data": str(predictions)})
    if name == "longwrite_ruler":
        return EvalConfig(name=name, model="scripted", options={"lengths": [1000, 2000]})
    if name == "followbench":
        data, answers = followbench_data(tmp_path)
        return EvalConfig(
            name=name, predictions=answers, options={"data": str(data), "categories": "example"}
        )
    if name == "leceval":
        return EvalConfig(name=name, options={"data": str(leceval_data(tmp_path))})
    if name == "longbench_cite":  # the scripted judge's verdicts are unparsable: counted
        return EvalConfig(
            name=name,
            predictions=EXAMPLES / "longcite" / "predictions.jsonl",
            judge="scripted",
            options={"data": str(EXAMPLES / "longcite" / "bench_data.json")},
        )
    if name == "mavenfact":  # the cue-word rule: no model
        data = EXAMPLES / "mavenfact" / "docs.jsonl"
        return EvalConfig(name=name, options={"data": str(data), "classifier": "cues"})
    if name == "openep":
        return EvalConfig(
            name=name,
            predictions=EXAMPLES / "openep" / "predictions.jsonl",
            judge="scripted",
            options={"data": str(EXAMPLES / "openep" / "questions.jsonl")},
        )
    raise AssertionError(f"no headline test for the registered benchmark {name!r}: add one")


def expected_references(name: str) -> list[str]:
    """The published rows' names each benchmark's headline must list, in order."""
    from lmforge.benchmarks.references import CRAB_TABLE
    from lmforge.classroom.leceval.score import PAPER_BASELINES
    from lmforge.longcite.references import HEADLINE_ROWS
    from lmforge.longwriter.references import LONGBENCH_WRITE_ROWS, RULER_ROWS
    from lmforge.mavenfact.references import REFERENCE_ROWS
    from lmforge.rmbench.references import LEADERBOARD_ROWS

    return [
        str(r["model"])
        for r in {
            "ifeval": CRAB_TABLE,
            "followbench": CRAB_TABLE,
            "rmbench": LEADERBOARD_ROWS,
            "longbench_write": LONGBENCH_WRITE_ROWS,
            "longwrite_ruler": RULER_ROWS,
            "longbench_cite": HEADLINE_ROWS,
            "mavenfact": REFERENCE_ROWS,
            "openep": [],  # no published OpenEPBench figures (the report says so)
        }.get(name, [{"model": n} for n in PAPER_BASELINES])
    ]


REGISTERED = [line.split(": ", 1)[0] for line in benchmarks()]


def test_every_registered_benchmark_is_covered() -> None:
    assert set(REGISTERED) >= {
        "followbench", "ifeval", "leceval", "longbench_write", "longwrite_ruler", "rmbench",
    }  # fmt: skip


@pytest.mark.parametrize("name", REGISTERED)
def test_each_benchmark_report_opens_with_its_headline_and_the_published_rows(
    name: str, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    lines = run_eval(eval_config(name, tmp_path), out=run, quiet=True)
    assert lines[-1] == f"report: {run / 'report.html'}"  # the page `lmforge eval` wrote
    for page in ((run / "report.html").read_text(encoding="utf-8"), render(run)):
        block = headline(page)
        ours = run_rows(block)
        assert ours and all(row[0].startswith("this run") for row in ours)
        assert [row[0] for row in published(block)] == expected_references(name)
        if expected_references(name):
            assert block.index('class="run"') < block.index('class="ref"')
            assert "Published rows: " in block
        else:  # a benchmark with no published figures says so where they would be
            assert "no reference rows" in block
        # the key dump is no longer on top: the run's table follows the headline, folded keys
        assert page.index("<h2>Run</h2>") > page.index("</section>")
        assert "<details>\n  <summary>summary.json: every key" in page


# --------------------------------------------------------------------------- the figures


def test_the_headline_figures_are_the_runs_and_the_papers(tmp_path: Path) -> None:
    """Cells hold this run's aggregate and the published numbers, to the paper's decimals."""
    from lmforge.benchmarks.references import CRAB_TABLE

    run = tmp_path / "ifeval"
    run_eval(eval_config("ifeval", tmp_path), out=run, quiet=True)
    scores = json.loads((run / "scores.json").read_text())
    block = headline(render(run))
    keys = ("prompt_level_strict", "instruction_level_strict", "prompt_level_loose",
            "instruction_level_loose", "average")  # fmt: skip
    assert run_rows(block) == [
        ["this run: predictions ifeval_responses.jsonl", *(fmt(scores[k]) for k in keys)]
    ]
    assert run_rows(block)[0][1:] == ["50.0", "66.7", "75.0", "83.3", "68.8"]
    gpt4 = next(r for r in published(block) if r[0] == "GPT-4†")
    assert gpt4 == ["GPT-4†", "76.9", "83.6", "79.3", "85.4", "81.3"]
    assert len(published(block)) == len(CRAB_TABLE) == 14


def test_rmbench_headline_has_the_leaderboard_columns_and_says_what_was_not_run(
    tmp_path: Path,
) -> None:
    run = tmp_path / "r"
    run_eval(eval_config("rmbench", tmp_path), out=run, quiet=True)
    scores = json.loads((run / "scores.json").read_text())
    block = headline(render(run))
    assert re.findall(r"<th>([^<]*)</th>", block)[:10] == [
        "model", "type", "Chat", "Math", "Code", "Safety", "Easy", "Normal", "Hard", "Avg",
    ]  # fmt: skip
    domains = scores["domains"]
    assert run_rows(block) == [
        ["this run: length", "length", fmt(domains["chat"]["avg"]), "–",
         fmt(domains["code"]["avg"]), fmt(domains["safety"]["avg"]), fmt(scores["easy"]),
         fmt(scores["normal"]), fmt(scores["hard"]), fmt(scores["overall"])]
    ]  # fmt: skip
    skywork = next(r for r in published(block) if r[0] == "Skywork-Reward-Llama-3.1-8B")
    assert skywork[2:] == ["69.5", "60.6", "54.5", "95.7", "89.0", "74.7", "46.6", "70.1"]
    assert "Not run: math" in block and "not comparable" in block
    assert "9 of its 51 rows, typed into lmforge" in block


def test_rmbench_reads_the_shared_leaderboard_beside_its_data(test_data, tmp_path) -> None:
    """With the shared data the headline lists the whole leaderboard (found beside the data
    files), models typed nowhere in lmforge included."""
    from lmforge.rmbench.references import LEADERBOARD_ROWS

    data = test_data / "rmbench"
    config = EvalConfig(
        name="rmbench",
        options={"scorer": "length", "data": str(data), "domains": "chat", "per_domain": 3},
    )
    run_eval(config, out=tmp_path / "r", quiet=True)
    block = headline(render(tmp_path / "r"))
    names = [row[0] for row in published(block)]
    with (data / "leaderboard_2025-07-23.csv").open(encoding="utf-8") as handle:
        board = list(csv.DictReader(handle))
    assert names == [row["model"] for row in board]
    assert "REWARDANYTHING-8B" in names and "REWARDANYTHING-8B" not in str(LEADERBOARD_ROWS)
    assert "leaderboard_2025-07-23.csv (51 rows, in its order)" in block
    assert "swaps Math and Code" in block  # the CSV's known DeepSeek R1 inconsistency


def test_the_typed_rows_are_the_leaderboards_and_crabs_exactly(test_data) -> None:
    """The facts typed into lmforge match the project's copies of the published tables."""
    from lmforge.benchmarks.references import CRAB_TABLE
    from lmforge.rmbench.references import CSV_COLUMNS, LEADERBOARD_ROWS, NUMERIC

    with (test_data / "rmbench" / "leaderboard_2025-07-23.csv").open(encoding="utf-8") as f:
        board = {row["model"]: row for row in csv.DictReader(f)}
    for typed in LEADERBOARD_ROWS:
        row = board[typed["model"]]
        for header, column in CSV_COLUMNS.items():
            if column in NUMERIC:
                want = None if row[header] == "-" else float(row[header])
                assert typed[column] == want, (typed["model"], column)
        assert typed["type"] == row["model_type"]
    with (test_data / "crab" / "crab_paper_table_ifeval_followbench.csv").open() as f:
        crab = list(csv.DictReader(f))
    columns = {
        "sp": "ifeval_strict_prompt",
        "si": "ifeval_strict_inst",
        "lp": "ifeval_loose_prompt",
        "li": "ifeval_loose_inst",
        "ifeval_avg": "ifeval_avg",
        **{f"l{n}": f"fb_hsr_l{n}" for n in range(1, 6)},
        "fb_avg": "fb_hsr_avg",
    }
    assert len(crab) == len(CRAB_TABLE)
    for typed, row in zip(CRAB_TABLE, crab, strict=True):
        assert {k: typed[k] for k in columns} == {k: float(row[v]) for k, v in columns.items()}


def test_a_leaderboard_the_user_points_at_is_shown(tmp_path, monkeypatch) -> None:
    board = tmp_path / "mine.csv"
    board.write_text(
        "model,model_type,chat,math,code,safety,easy,normal,hard,overall\n"
        "my-rm-v1,Scalar RM,70.0,-,60.0,90.0,85.0,70.0,40.0,65.0\n"
    )
    monkeypatch.setenv("LMFORGE_RMBENCH_LEADERBOARD", str(board))
    run_eval(eval_config("rmbench", tmp_path), out=tmp_path / "r", quiet=True)
    block = headline(render(tmp_path / "r"))
    assert published(block) == [
        ["my-rm-v1", "Scalar RM", "70.0", "–", "60.0", "90.0", "85.0", "70.0", "40.0", "65.0"]
    ]
    board.write_text("model,chat\nx,1\n")  # not a leaderboard: its rows are not shown
    block = headline(render(tmp_path / "r"))
    assert "Leaderboard not read" in block and "mine.csv:1" in block
    assert [r[0] for r in published(block)] == expected_references("rmbench")


def test_the_system_commands_reports_open_with_the_headline_too(tmp_path: Path) -> None:
    """``lmforge rmbench run`` writes report.html itself; ``lmforge longwriter ruler`` leaves a
    folder for ``lmforge report`` (both through the real command line)."""
    result = lmforge_cli(
        "rmbench", "run", "-s", "length", "--data", EXAMPLES / "rmbench",
        "--out", tmp_path / "rm", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    block = headline((tmp_path / "rm" / "report.html").read_text(encoding="utf-8"))
    assert run_rows(block)[0][:2] == ["this run: length", "length"]
    assert [r[0] for r in published(block)] == expected_references("rmbench")
    result = lmforge_cli(
        "longwriter", "ruler", "--model", "scripted", "--lengths", "1000",
        "--out", tmp_path / "ruler", "-q", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    result = lmforge_cli("report", tmp_path / "ruler", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    block = headline((tmp_path / "ruler" / "report.html").read_text(encoding="utf-8"))
    assert [r[:3] for r in run_rows(block)] == [
        ["this run: scripted", "S_l", "0"],
        ["this run: scripted", "median words", "1"],
    ]
    assert "AgentWrite with GPT-4o (paper)" in [r[0] for r in published(block)]


# --------------------------------------------------------------------------- generic sections


def test_no_token_histogram_for_a_scorer_that_made_no_model_call(tmp_path: Path) -> None:
    run_eval(eval_config("rmbench", tmp_path), out=tmp_path / "rule", quiet=True)
    page = render(tmp_path / "rule")
    assert "Completion tokens</h2>" not in page
    assert "histogram of completion tokens" not in page
    run_eval(eval_config("longwrite_ruler", tmp_path), out=tmp_path / "model", quiet=True)
    assert "histogram of completion tokens" in render(tmp_path / "model")  # a model answered


def test_a_resumed_runs_report_covers_the_whole_run(tmp_path: Path) -> None:
    """A run resumed with --out: calls, tokens and time of every command in the folder."""
    run = tmp_path / "run"
    options = {"data": str(EXAMPLES / "crab" / "ifeval_inputs.jsonl")}
    first = EvalConfig(name="ifeval", model="scripted", limit=2, options=options)
    run_eval(first, out=run, quiet=True)
    one = json.loads((run / "summary.json").read_text())
    run_eval(EvalConfig(name="ifeval", model="scripted", options=options), out=run, quiet=True)
    two = json.loads((run / "summary.json").read_text())
    assert (one["llm_calls"], two["llm_calls"], two["skipped"]) == (2, 2, 2)  # this command's
    whole = two["whole_run"]
    assert whole["invocations"] == 2 and whole["llm_calls"] == 4
    assert whole["tokens"] == one["tokens"] + two["tokens"]
    assert [h["skipped"] for h in two["history"]] == [0, 2]
    page = render(run)
    table = page[page.index("<h2>Run</h2>") : page.index("<details>", page.index("<h2>Run</h2>"))]
    assert '<tr><th>llm_calls</th><td class="num">4</td></tr>' in table
    assert f'<tr><th>tokens</th><td class="num">{whole["tokens"]}</td></tr>' in table
    assert '<tr><th>done</th><td class="num">4</td></tr>' in table
    assert "done before the last resume" in table and "1 time(s)" in table
    # a rerun of the finished run asks nothing and adds a third, empty entry
    run_eval(EvalConfig(name="ifeval", model="scripted", options=options), out=run, quiet=True)
    three = json.loads((run / "summary.json").read_text())
    assert three["llm_calls"] == 0 and three["whole_run"]["llm_calls"] == 4
    assert three["whole_run"]["invocations"] == 3


def test_rewriting_a_summary_in_the_same_command_counts_it_once(tmp_path: Path) -> None:
    """``longwriter ruler`` writes its summary twice (the core's, then its own keys)."""
    from lmforge.pipeline.rundir import RunDir

    run = RunDir(tmp_path / "r")
    run.write_summary({"what": "x", "llm_calls": 3, "tokens": 10, "wall_s": 1.0})
    summary = run.read_summary()
    run.write_summary({**summary, "extra": 1})
    again = RunDir(tmp_path / "r")  # a resume: a new command in the same folder
    again.write_summary({"what": "x", "llm_calls": 1, "tokens": 2, "wall_s": 0.5})
    whole = again.read_summary()["whole_run"]
    assert (whole["invocations"], whole["llm_calls"], whole["tokens"]) == (2, 4, 12)
    assert whole["wall_s"] == 1.5


def test_the_page_stays_self_contained(tmp_path: Path) -> None:
    run_eval(eval_config("longbench_write", tmp_path), out=tmp_path / "r", quiet=True)
    page = render(tmp_path / "r")
    assert not re.search(r'<(?:link|script|img)[^>]*(?:href|src)="(?:https?:)?//', page)
    assert "<script" not in page

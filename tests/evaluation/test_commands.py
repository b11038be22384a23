"""The generic runner (``run_eval``): each of the six registered benchmarks on shipped, example
or shared data, printing the figures its system command prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lmforge.errors import InputError
from lmforge.evaluation.commands import (
    EvalConfig,
    ReportConfig,
    benchmarks,
    report,
    run_eval,
    score_lines,
)

REPO = Path(__file__).resolve().parents[2]
IFEVAL_INPUTS = REPO / "examples" / "crab" / "ifeval_inputs.jsonl"
IFEVAL_RESPONSES = REPO / "examples" / "crab" / "ifeval_responses.jsonl"
MISTRAL = "longwriter/third_party_preds/mistral_longbench_write_en_pred.jsonl"
SIX = ("followbench", "ifeval", "leceval", "longbench_write", "longwrite_ruler", "rmbench")


RUN_NOTES = ("had no prediction", "records failed", "not run: ")


def figures(lines: list[str]) -> list[str]:
    """The printed table without the paths of this run and the notes that the system commands
    print on stderr (RM-Bench's domains not run) or not at all (the runner's counts)."""
    return [
        line
        for line in lines
        if not line.startswith(("run: ", "report: "))
        and not (line.startswith("note: ") and any(n in line for n in RUN_NOTES))
    ]


def test_every_benchmark_is_listed_with_its_first_docstring_line() -> None:
    listed = dict(line.split(": ", 1) for line in benchmarks())
    assert set(SIX) <= set(listed)
    assert listed["ifeval"].startswith("IFEval")


def test_ifeval_example_responses_give_the_crab_figures(tmp_path) -> None:
    from lmforge.benchmarks.ifeval import format_report, score_files

    config = EvalConfig(
        name="ifeval", predictions=IFEVAL_RESPONSES, options={"data": str(IFEVAL_INPUTS)}
    )
    lines = run_eval(config, out=tmp_path, quiet=True)
    assert lines[:4] == [
        "prompt_level_strict: 50.00",
        "instruction_level_strict: 66.67",
        "prompt_level_loose: 75.00",
        "instruction_level_loose: 83.33",
    ]
    assert figures(lines) == format_report(score_files(IFEVAL_INPUTS, IFEVAL_RESPONSES))
    assert lines[-2:] == [f"run: {tmp_path}", f"report: {tmp_path / 'report.html'}"]
    config_yaml = (tmp_path / "config.yaml").read_text()
    assert "benchmark: ifeval" in config_yaml and "ifeval_inputs.jsonl" in config_yaml


def test_ifeval_solves_with_a_model_and_needs_its_data(tmp_path, monkeypatch) -> None:
    config = EvalConfig(name="ifeval", model="scripted", options={"data": str(IFEVAL_INPUTS)})
    lines = run_eval(config, out=tmp_path, quiet=True)
    assert lines[0] == "prompt_level_strict: 25.00"  # "OK" has no comma: one prompt of four
    monkeypatch.delenv("LMFORGE_IFEVAL_DATA", raising=False)
    with pytest.raises(InputError, match="LMFORGE_IFEVAL_DATA"):
        run_eval(EvalConfig(name="ifeval", model="scripted"), out=tmp_path, quiet=True)


def _rmbench_system_lines(data: Path, tmp_path: Path, domains: list[str] | None) -> list[str]:
    import asyncio

    from lmforge.rmbench.run import RMBenchConfig, run_rmbench

    cfg = RMBenchConfig(scorer="length", data=[data], domains=domains)
    result = asyncio.run(run_rmbench(cfg, out=tmp_path / "system", quiet=True, report=False))
    return result.lines()


def test_rmbench_example_data_matches_rmbench_run(tmp_path) -> None:
    data = REPO / "examples" / "rmbench"
    config = EvalConfig(name="rmbench", options={"scorer": "length", "data": str(data)})
    lines = run_eval(config, out=tmp_path / "eval", quiet=True)
    assert figures(lines) == _rmbench_system_lines(data, tmp_path, None)
    system = json.loads((tmp_path / "system" / "scores.json").read_text())
    assert json.loads((tmp_path / "eval" / "scores.json").read_text()) == system


def test_rmbench_chat_length_gives_the_pinned_figures(test_data, tmp_path) -> None:
    data = test_data / "rmbench"
    options = {"scorer": "length", "domains": "chat", "data": str(data)}
    lines = run_eval(EvalConfig(name="rmbench", options=options), out=tmp_path / "e", quiet=True)
    assert lines[0] == "chat: easy=81.1 normal=28.4 hard=2.6 avg=37.4"
    assert lines[1] == "overall: 37.4"
    assert figures(lines) == _rmbench_system_lines(data, tmp_path, ["chat"])
    summary = json.loads((tmp_path / "e" / "summary.json").read_text())
    assert summary["model"] == "length" and summary["llm_calls"] == 0


def test_longbench_write_mistral_gives_the_official_length_score(test_data, tmp_path) -> None:
    import asyncio

    from lmforge.longwriter import LongBenchWriteConfig, run_longbench_write, score_lines
    from lmforge.pipeline.rundir import RunDir

    config = EvalConfig(
        name="longbench_write",
        predictions=test_data / MISTRAL,
        options={"data": str(test_data / "longwriter" / "longbench_write_en.jsonl")},
    )
    lines = run_eval(config, out=tmp_path / "eval", quiet=True)
    assert lines[0] == "length_score: 54.5826"
    cfg = LongBenchWriteConfig(predictions=test_data / MISTRAL)
    system = asyncio.run(run_longbench_write(cfg, RunDir(tmp_path / "system"), quiet=True))
    assert figures(lines) == score_lines(system)


def test_longwrite_ruler_with_the_scripted_model(tmp_path) -> None:
    config = EvalConfig(name="longwrite_ruler", model="scripted", options={"lengths": [1000]})
    lines = run_eval(config, out=tmp_path, quiet=True)
    assert lines[:3] == ["max_output_length: 1", "length_score: 0.0000", "n: 4"]


# --------------------------------------------------------------------------- FollowBench


def _followbench_folder(root: Path) -> Path:
    """Two tiny categories: ``example`` (rule-checked) and ``style`` (judged), two groups."""
    rows = {
        "example": [
            {"example_id": e, "category": "example", "source": "x", "level": lv,
             "instruction": f"e{e}/{lv}", "target": "{instruction}\nBOT: {answer}",
             "answer": "BOT: a"}
            for e in (1, 2) for lv in range(1, 6)
        ],
        "style": [
            {"example_id": e, "category": "style", "source": "oasst", "level": lv,
             "instruction": f"g{e} level {lv}", "target": ""}
            for e in (1, 2) for lv in range(6)
        ],
    }  # fmt: skip
    root.mkdir()
    for category, items in rows.items():
        (root / f"{category}_constraints.json").write_text(json.dumps(items))
    return root


def _followbench_responses(path: Path) -> Path:
    rows = [
        {"category": "example", "example_id": e, "level": lv,
         "response": "BOT: yes" if e == 1 or lv <= 2 else "yes"}
        for e in (1, 2) for lv in range(1, 6) if (e, lv) != (2, 5)
    ] + [
        {"category": "style", "example_id": e, "level": lv, "response": f"answer {e}"}
        for e in (1, 2) for lv in range(1, 6)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_followbench_matches_score_followbench(tmp_path) -> None:
    import asyncio

    from lmforge.benchmarks.followbench import (
        format_fb_report,
        load_fb_responses,
        load_followbench,
        score_followbench,
    )
    from lmforge.llm.registry import get_llm

    data = _followbench_folder(tmp_path / "fb")
    preds = _followbench_responses(tmp_path / "preds.jsonl")
    items = load_followbench(data, ("example", "style"))
    responses = load_fb_responses(preds, items)
    options = {"data": str(data), "categories": "example,style"}
    for judge in (None, "scripted"):  # unjudged, then a judge whose "OK" is unparseable
        config = EvalConfig(name="followbench", predictions=preds, judge=judge, options=options)
        lines = run_eval(config, out=tmp_path / f"run-{judge}", quiet=True)
        model = get_llm(judge) if judge else None
        want = format_fb_report(asyncio.run(score_followbench(items, responses, model)))
        assert figures(lines) == want
    assert "missing responses: 1" in want[-2] and "judge failures: 10" in want[-2]


def test_followbench_official_data_rule_checked_categories(test_data, tmp_path) -> None:
    import asyncio

    from lmforge.benchmarks.followbench import (
        format_fb_report,
        load_fb_responses,
        load_followbench,
        score_followbench,
    )

    data = test_data / "crab" / "followbench"
    items = load_followbench(data, ("example",))
    preds = tmp_path / "preds.jsonl"
    preds.write_text(
        "".join(
            json.dumps({"instruction": i.instruction, "response": i.answer}) + "\n"
            for i in items
            if i.level > 0 and i.example_id % 3
        )
    )
    config = EvalConfig(
        name="followbench", predictions=preds, options={"data": str(data), "categories": "example"}
    )
    lines = run_eval(config, out=tmp_path / "run", quiet=True)
    report_ = asyncio.run(score_followbench(items, load_fb_responses(preds, items), None))
    assert figures(lines) == format_fb_report(report_)


# --------------------------------------------------------------------------- LecEval


def _leceval_folder(root: Path) -> Path:
    root.mkdir()
    texts = ["Hello class. Today we learn sets.", "Let us imagine you are a cell. Why?",
             "Vectors add. Matrices multiply. We will see why.", "Short.",
             "Your turn: what do you think happens next? We try it together."]  # fmt: skip
    rows = [
        {"id": f"s{i}", "transcript": t,
         "rate": {r: [1 + (i * k) % 5] for k, r in enumerate(
             ("content_relevance", "expressive_clarity", "logical_structure",
              "audience_engagement"), start=1)}}
        for i, t in enumerate(texts)
    ]  # fmt: skip
    (root / "toy_metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def _leceval_system_lines(data: Path, sample: int | None) -> list[str]:
    import asyncio

    from lmforge.classroom.leceval import (
        evaluate_leceval,
        format_leceval,
        load_leceval,
        proxy_scores,
    )

    return format_leceval(asyncio.run(evaluate_leceval(load_leceval(data), proxy_scores, sample)))


def test_leceval_proxies_match_the_classroom_table(tmp_path) -> None:
    data = _leceval_folder(tmp_path / "lec")
    lines = run_eval(EvalConfig(name="leceval", options={"data": str(data)}), out=tmp_path / "r")
    assert figures(lines) == _leceval_system_lines(data, None)


def test_leceval_shared_data_sample(test_data, tmp_path) -> None:
    data = test_data / "slide2lecture" / "leceval"
    config = EvalConfig(name="leceval", options={"data": str(data), "sample": 60})
    lines = run_eval(config, out=tmp_path, quiet=True)
    assert figures(lines) == _leceval_system_lines(data, 60)


def test_leceval_judge_needs_a_model(tmp_path) -> None:
    data = _leceval_folder(tmp_path / "lec")
    options = {"data": str(data), "scorer": "judge"}
    with pytest.raises(ValueError, match="needs a model"):
        run_eval(EvalConfig(name="leceval", options=options), out=tmp_path / "a", quiet=True)
    lines = run_eval(
        EvalConfig(name="leceval", model="scripted", options=options), out=tmp_path / "b"
    )
    assert "judge scripted" in lines[2] and "not computable" in lines[2]


# --------------------------------------------------------------------------- report, lines


def test_report_renders_a_run_and_refuses_a_non_folder(tmp_path) -> None:
    config = EvalConfig(name="longwrite_ruler", model="scripted", options={"lengths": [1000]})
    run_eval(config, out=tmp_path / "run", quiet=True)
    assert report(ReportConfig(run_dir=tmp_path / "run")) == [str(tmp_path / "run/report.html")]
    with pytest.raises(InputError, match="not a run directory"):
        report(ReportConfig(run_dir=tmp_path / "nothing"))


def test_default_lines_are_the_top_level_numbers() -> None:
    scores = {"accuracy": 0.5, "n": 4, "ok": True, "by_type": [{"n": 1}], "name": "x"}
    assert score_lines(scores) == ["accuracy: 0.5000", "n: 4"]


def test_unknown_benchmark_lists_the_known(tmp_path) -> None:
    with pytest.raises(InputError, match="ifeval"):
        run_eval(EvalConfig(name="nope"), out=tmp_path, quiet=True)


def test_bad_options_are_input_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="missing a required argument: 'scorer'"):
        run_eval(EvalConfig(name="rmbench"), out=tmp_path, quiet=True)
    options = {"data": str(IFEVAL_INPUTS), "bogus": 1}
    with pytest.raises(InputError, match="unexpected keyword argument 'bogus'"):
        run_eval(EvalConfig(name="ifeval", options=options), out=tmp_path, quiet=True)

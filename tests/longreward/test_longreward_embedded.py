"""One example query scored end to end by the real embedded model (embedded-tiny), through
the CLI as a user runs it: every dimension is asked, and the run reports its parse failures."""

import json

from helpers import lmforge_cli, write_jsonl


def test_embedded_tiny_scores_one_example_query(example_input, tmp_path):
    row = json.loads(example_input.read_text().splitlines()[0])
    # the example query with the first ~1,500 characters of its context and one response cut
    # short: small enough for a few seconds of CPU inference
    row = {**row, "context": row["context"][:1500], "response": row["response"][:300]}
    data = write_jsonl(tmp_path / "one.jsonl", [row])
    result = lmforge_cli(
        "longreward", "score", "--input", str(data), "--output", str(tmp_path / "s.jsonl"),
        "--judge", "embedded-tiny", "--tokenizer", "approx", "--out", str(tmp_path / "run"),
        "--set", "judging.rating_tokens=64", "--set", "judging.facts_tokens=64",
        "--set", "judging.chunk_tokens=64", "--set", "judging.analysis_chars=40",
        "--set", "judging.max_statements=1", "--set", "judging.attempts=2", "-q",
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    figures = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    calls, rejected = summary["judge_calls"], summary["rejected_replies"]
    assert calls >= 1 and float(figures["parse_failure_rate"]) == round(rejected / calls, 3)
    scored = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    if summary["scored"] == 1:  # the tiny judge managed every dimension
        (got,) = scored
        assert set(got["scores"]) == {"helpfulness", "logicality", "faithfulness", "completeness"}
        assert all(0 <= v <= 10 for v in got["scores"].values())
        for name in got["scores"]:
            assert float(figures[name]) == round(got["scores"][name], 2)
    else:  # it failed one: said, counted, and nothing made up
        assert scored == [] and summary["unscored"] == 1 and summary["drops"]
    print(result.stdout)

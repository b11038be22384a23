"""The RM-Bench metric against hand-made matrices, the official definition, the notes."""

from __future__ import annotations

import numpy as np
import pytest

from lmforge.errors import InputError
from lmforge.rmbench.data import load_samples
from lmforge.rmbench.metric import (
    compute_accuracy,
    compute_scores,
    format_lines,
    sample_comparisons,
)


def scored(domain: str, chosen: list[float], rejected: list[float], i: int = 0, **extra) -> dict:
    return {"id": i, "domain": domain, "score_chosen": chosen, "score_rejected": rejected, **extra}


def official(results: list[dict]) -> dict[str, float]:
    """The README's compute_accuracy, written out with numpy as upstream does."""
    acc = np.zeros((3, 3))
    for r in results:
        for i in range(3):
            for j in range(3):
                acc[i][j] += r["score_chosen"][i] > r["score_rejected"][j]
    acc /= len(results)
    return {
        "hard_acc": np.sum(np.triu(acc, 1)) / 3,
        "normal_acc": np.mean(np.diag(acc)),
        "easy_acc": np.sum(np.tril(acc, -1)) / 3,
    }


def test_hand_made_matrix_and_strict_ties():
    # chosen beats rejected only when strictly greater; equal scores are wrong
    row = scored("chat", [1.0, 5.0, 9.0], [1.0, 4.0, 8.0])
    assert sample_comparisons(row).tolist() == [[0, 0, 0], [1, 1, 0], [1, 1, 1]]
    scores = compute_scores([row])
    chat = scores.domains["chat"]
    assert chat.matrix == [[0, 0, 0], [100, 100, 0], [100, 100, 100]]
    assert (chat.easy, chat.normal, chat.hard) == (100, pytest.approx(200 / 3), 0)
    assert chat.avg == pytest.approx(500 / 9)
    assert format_lines(scores) == [
        "chat: easy=100.0 normal=66.7 hard=0.0 avg=55.6",
        "overall: 55.6",
    ]


def test_two_samples_average_cell_by_cell():
    rows = [
        scored("code", [3, 3, 3], [1, 1, 1], 1),  # always right
        scored("code", [0, 0, 0], [1, 1, 1], 2),  # always wrong
    ]
    code = compute_scores(rows).domains["code"]
    assert code.matrix == [[50.0] * 3] * 3
    assert code.n == 2 and code.pairs == [[2] * 3] * 3


def test_safety_is_pooled_by_count_and_overall_is_unweighted():
    rows = [scored("safety-refuse", [1] * 3, [0] * 3, i) for i in range(3)]  # 100 %
    rows.append(scored("safety-response", [0] * 3, [1] * 3, 9))  # 0 %
    rows.append(scored("chat", [0] * 3, [1] * 3, 1))  # 0 %
    scores = compute_scores(rows)
    assert list(scores.domains) == ["chat", "safety"]
    assert scores.domains["safety"].avg == pytest.approx(75.0)  # 3 of 4, not (100 + 0) / 2
    assert scores.subdomains["safety-refuse"].avg == 100.0
    assert scores.subdomains["safety-response"].avg == 0.0
    assert scores.overall == pytest.approx(37.5)  # (0 + 75) / 2: domains count equally
    assert scores.missing == ["math", "code"]
    assert scores.overall == pytest.approx((scores.easy + scores.normal + scores.hard) / 3)


def test_judge_rows_and_truncated_drop():
    judge = {"id": 1, "domain": "chat", "correct": [[1, 0, 0], [1, 1, 0], [1, 1, 1]]}
    assert compute_scores([judge]).domains["chat"].hard == 0.0
    cut = scored(
        "chat",
        [2, 2, 2],
        [1, 1, 1],
        truncated_chosen=[False, True, False],
        truncated_rejected=[False, False, False],
    )
    whole = scored(
        "chat", [0] * 3, [1] * 3, 2, truncated_chosen=[False] * 3, truncated_rejected=[False] * 3
    )
    dropped = compute_scores([cut, whole], truncated="drop")
    chat = dropped.domains["chat"]
    assert chat.pairs[1] == [1, 1, 1] and chat.pairs[0] == [2, 2, 2]
    assert chat.matrix[1] == [0.0, 0.0, 0.0] and chat.matrix[0] == [50.0] * 3
    texts = {"id": 3, "domain": "chat", "score_chosen": [1] * 3, "score_rejected": [0] * 3}
    with pytest.raises(InputError, match="needs truncated_chosen or the chosen texts"):
        compute_scores([texts], truncated="drop")
    texts.update(chosen=["ok.", "cut off", "ok."], rejected=["ok."] * 3)
    assert compute_scores([texts], truncated="drop").domains["chat"].pairs[1] == [0, 0, 0]


def test_bad_rows_are_input_errors():
    with pytest.raises(InputError, match="expected a list of 3 scores"):
        compute_scores([scored("chat", [1, 2], [1, 2, 3])])
    with pytest.raises(InputError, match="unknown domain 'poetry'"):
        compute_scores([scored("poetry", [1] * 3, [0] * 3)])
    with pytest.raises(InputError, match="no scored samples"):
        compute_scores([])


def test_matches_the_official_function_on_random_scores():
    rng = np.random.default_rng(0)
    rows = [
        scored("chat", rng.integers(0, 4, 3).tolist(), rng.integers(0, 4, 3).tolist(), i)
        for i in range(200)
    ]  # small integers: many ties, which must count as wrong
    ours = compute_accuracy(rows)
    theirs = official(rows)
    assert ours == pytest.approx(theirs)
    chat = compute_scores(rows).domains["chat"]
    assert chat.hard == pytest.approx(100 * theirs["hard_acc"])
    assert chat.easy == pytest.approx(100 * theirs["easy_acc"])


def test_length_scorer_figures_from_the_notes(test_data):
    """Research notes 1.8: len(response) on chat gives easy 81.1, normal 28.4, hard 2.6."""
    samples = load_samples([test_data / "rmbench"], ["chat"])
    rows = [
        scored("chat", [len(r) for r in s.chosen], [len(r) for r in s.rejected], s.id)
        for s in samples
    ]
    scores = compute_scores(rows, ci=True)
    assert format_lines(scores) == [
        "chat: easy=81.1 normal=28.4 hard=2.6 avg=37.4",
        "overall: 37.4",
    ]
    low, high = scores.domains["chat"].avg_ci95
    assert low < scores.domains["chat"].avg < high

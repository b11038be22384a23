"""CRAB constraint checkers: responses checked per second against every verifiable constraint.

1,000 seeded synthetic responses (prose, lists, tables, JSON/code blocks, a few Spanish/French,
some tiny) each get every constraint code can verify: the six Python-written ones (generated
from the response, fixed quirks) plus eight LLM-type sentences parsed by `from_llm`. Every
check must hold or fail without error; the script prints how many passed.

Measured path: one `ResponseView` per response, shared by all its constraints, so the text is
tokenised (and its language detected) once. Baseline, in the same run: a fresh view per
constraint, i.e. every checker re-tokenises and re-detects on its own, as the official scripts
do. The ratio is baseline seconds / shared seconds over the same checks. All rates are per
CPU second of this process (the machine is shared), not wall time.

    python benchmarks/crab_checkers.py [--n 1000] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from lmforge.crab.constraints import (
    Constraint,
    ResponseView,
    detect_language_code,
    from_llm,
    python_constraints,
)
from lmforge.crab.constraints.synthetic import synthetic_responses

LLM_TYPE_SENTENCES = [
    ("Multi-lingual_Constraints", "Write the whole answer in English."),
    ("Item_Listing_Details", "Use hyphens (-) for every list item."),
    ("Paragraphs_Constraints", "The response should consist of three paragraphs."),
    ("Special_Output_Format", "Return the data as a markdown table."),
    ("Special_Output_Format", "Give the result in JSON format."),
    ("Key_Formatting", "Put key terms in bold."),
    ("Morphological_Constraints", "Avoid the words 'very' and 'simple'."),
]


def say(line: str) -> None:
    print(line, flush=True)


def build(responses: list[str], seed: int) -> list[list[Constraint]]:
    """Every verifiable constraint per response."""
    built = []
    for i, response in enumerate(responses):
        cons = list(python_constraints(response, random.Random(seed + i)).values())
        opening = " ".join(w for w in response.split()[:4] if "'" not in w and '"' not in w)
        if len(opening.split()) >= 2:
            cons.append(from_llm("Specific_Sentence", f'Begin with "{opening}".'))
        cons += [from_llm(key, text) for key, text in LLM_TYPE_SENTENCES]
        assert all(c.verifiable for c in cons)
        built.append(cons)
    return built


def check_one(response: str, cons: list[Constraint], shared: bool) -> list[bool | None]:
    """Verdicts for one response: one shared view, or a fresh view per constraint."""
    view = ResponseView(response)
    return [c.check(view if shared else ResponseView(response)) for c in cons]


def run_checks(
    responses: list[str], built: list[list[Constraint]]
) -> tuple[dict[bool, float], Counter]:
    """CPU seconds per path (True = shared view) and the verdict counts per (type, verdict).

    The two paths run interleaved, response by response and in alternating order, and are
    timed with process CPU time, so that the load other users put on the machine hits both alike.
    """
    seconds = {True: 0.0, False: 0.0}
    verdicts: Counter = Counter()
    for i, (response, cons) in enumerate(zip(responses, built, strict=True)):
        results = {}
        for shared in (True, False) if i % 2 == 0 else (False, True):
            start = time.process_time()
            results[shared] = check_one(response, cons, shared)
            seconds[shared] += time.process_time() - start
        assert results[True] == results[False], "both paths must give the same verdicts"
        verdicts.update((c.type, ok) for c, ok in zip(cons, results[True], strict=True))
    return seconds, verdicts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="number of responses")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    responses = synthetic_responses(args.n, seed=args.seed)
    python_constraints("warm up the imports, please.", random.Random(0))
    start = time.process_time()
    built = build(responses, args.seed)
    build_s = time.process_time() - start
    n_checks = sum(len(c) for c in built)
    say(f"responses: {args.n}")
    say(f"constraints_per_response: {n_checks / args.n:.2f}")
    say(f"build_responses_per_s: {args.n / build_s:.1f}  (generators incl. YAKE + langdetect)")

    seconds, verdicts = run_checks(responses, built)
    shared_s, base_s = seconds[True], seconds[False]
    passed = sum(v for (_, ok), v in verdicts.items() if ok)
    python_failed = sum(
        v
        for (t, ok), v in verdicts.items()
        if not ok and t in {"Digit", "Sentence", "Paragraph", "Word", "Keyword", "Punctuation"}
    )
    say(f"checks: {n_checks}  passed: {passed}  python_generated_failed: {python_failed}")
    say(f"shared_view_responses_per_s: {args.n / shared_s:.1f}")
    say(f"shared_view_checks_per_s: {n_checks / shared_s:.0f}")
    say(f"baseline_retokenise_responses_per_s: {args.n / base_s:.1f}")
    say(f"baseline_retokenise_checks_per_s: {n_checks / base_s:.0f}")
    say(f"speedup_shared_vs_retokenise: {base_s / shared_s:.2f}x")
    start = time.process_time()
    for response in responses:
        detect_language_code(response)
    say(f"langdetect_share_of_shared_time: {(time.process_time() - start) / shared_s:.2f}")


if __name__ == "__main__":
    main()

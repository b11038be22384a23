"""LongCite sentence splitting + <C{i}> numbering throughput (MB/s) on a ~1 MB document,
against nltk's own untrained Punkt called directly on the same text in the same run.

The official split is Punkt plus a CJK-punctuation pass, offsets by ``str.find`` and the
numbered context; nltk's Punkt alone is the floor it is measured against (target: ratio >= 0.9).
Each figure is the best of ``--repeat`` runs, the two run alternately, after one warm-up
(nltk's import and regex compilation are not throughput).

    python benchmarks/longcite_split.py [--mb 1.0] [--repeat 5] [--source FILE]

``--source``: a text file, or a JSONL whose first row has ``context`` (the CoF sample);
default: a synthetic English + Chinese document built here.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from nltk.tokenize.punkt import PunktSentenceTokenizer

from lmforge.longcite import number_context

_EN = (
    "The plant treats about 40,000 cubic metres of wastewater a day. Primary settling removes "
    "most solids, e.g. grit and sand. Dr. Lee said the U.S. plants differ; i.e. they use more "
    "chlorine. Is aeration needed? It is! Sludge goes to digesters at 35 degrees.\n\n"
)
_ZH = (
    "污水处理厂每天处理四万立方米污水。初沉池去除大部分固体；曝气池提供氧气！"
    "为什么需要消毒？因为细菌有害。\n\n"
)


def document(mb: float, source: Path | None) -> str:
    if source is None:
        unit = _EN * 3 + _ZH
    elif source.suffix == ".jsonl":
        unit = json.loads(source.read_text(encoding="utf-8").splitlines()[0])["context"]
    else:
        unit = source.read_text(encoding="utf-8")
    size = int(mb * 1_000_000)
    text = unit * (size // len(unit.encode()) + 1)
    return text.encode()[:size].decode(errors="ignore")


def best_pair(first, second, text: str, repeat: int) -> tuple[float, int, float, int]:
    """Best time and result of each, run alternately (ABAB...) so that load from other work
    hits both alike; one warm-up each."""
    first(text), second(text)
    a_times, b_times, a_n, b_n = [], [], 0, 0
    for _ in range(repeat):
        start = time.perf_counter()
        a_n = first(text)
        a_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        b_n = second(text)
        b_times.append(time.perf_counter() - start)
    return min(a_times), a_n, min(b_times), b_n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--source", type=Path)
    args = ap.parse_args()
    text = document(args.mb, args.source)
    megabytes = len(text.encode()) / 1e6
    punkt = PunktSentenceTokenizer()
    base_s, base_n, ours_s, ours_n = best_pair(
        lambda t: len(punkt.tokenize(t)), _ours, text, args.repeat
    )
    print(f"document_mb: {megabytes:.3f}")
    print(f"punkt_sentences: {base_n}")
    print(f"longcite_sentences: {ours_n}")
    print(f"punkt_mb_s: {megabytes / base_s:.3f}")
    print(f"longcite_mb_s: {megabytes / ours_s:.3f}")
    print(f"ratio: {base_s / ours_s:.3f}  (longcite speed / punkt speed; target >= 0.9)")


def _ours(text: str) -> int:
    numbered = number_context(text)
    numbered.render()
    return len(numbered)


if __name__ == "__main__":
    main()

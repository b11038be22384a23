"""Seeded synthetic responses with the shapes the checkers must handle (tests and benchmarks).

Real CRAB responses are chat answers: prose paragraphs, numbered or bulleted lists, headings,
bold terms, the odd table, JSON or code block, a few in other languages, some very short. This
generator mixes those shapes from a small word bank so that property tests and the checker
benchmark see the same variety without shipping data.
"""

from __future__ import annotations

import json
import random

__all__ = ["synthetic_response", "synthetic_responses"]

_NOUNS: tuple[str, ...] = (
    "system", "model", "data", "network", "process", "energy", "market", "policy", "garden",
    "engine", "river", "city", "theory", "method", "result", "student", "teacher", "computer",
    "algorithm", "protein", "climate", "budget", "museum", "language",
)  # fmt: skip
_VERBS: tuple[str, ...] = (
    "improves", "describes", "supports", "changes", "measures", "reduces", "explains", "connects",
)  # fmt: skip
_ADJ: tuple[str, ...] = (
    "important", "simple", "efficient", "reliable", "complex", "modern", "historical",
    "practical", "significant", "internationally-recognised",
)  # fmt: skip
_SPANISH = (
    "El sistema mejora la calidad del agua en la ciudad. Los estudiantes aprenden con "
    "entusiasmo cada día. La energía renovable es importante para el futuro del planeta."
)
_FRENCH = (
    "Le jardin est magnifique au printemps. Les enfants jouent dans le parc pendant que les "
    "parents discutent. La ville prépare une grande fête pour la fin de la semaine."
)


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_ADJ), rng.choice(_NOUNS), rng.choice(_VERBS), "the", rng.choice(_NOUNS)]
    words += [rng.choice(_NOUNS + _ADJ) for _ in range(rng.randint(0, 18))]
    if rng.random() < 0.3:
        words.insert(rng.randint(1, len(words) - 1), rng.choice(_NOUNS) + ",")
    end = rng.choices([".", "!", "?", ":"], weights=[80, 6, 8, 3])[0]
    return " ".join(words).capitalize() + end


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(1, 5)))


def _listing(rng: random.Random) -> str:
    marker = rng.choice(["•", "-", "*", "1."])
    items = []
    for i in range(rng.randint(2, 6)):
        head = f"{i + 1}." if marker == "1." else marker
        label = f"**{rng.choice(_NOUNS).title()}**: " if rng.random() < 0.4 else ""
        items.append(f"{head} {label}{_sentence(rng)}")
    return "\n".join(items)


def _block(rng: random.Random) -> str:
    kind = rng.choices(["para", "list", "head", "table", "json", "code"], [60, 20, 8, 4, 4, 4])[0]
    if kind == "list":
        return _listing(rng)
    if kind == "head":
        return f"## {rng.choice(_ADJ).title()} {rng.choice(_NOUNS).upper()}\n{_paragraph(rng)}"
    if kind == "table":
        n_rows = rng.randint(2, 4)
        rows = [f"| {rng.choice(_NOUNS)} | {rng.randint(1, 99)} |" for _ in range(n_rows)]
        return "\n".join(["| item | value |", "|---|---|", *rows])
    if kind == "json":
        obj = {rng.choice(_NOUNS): rng.randint(0, 9) for _ in range(3)}
        return "```json\n" + json.dumps(obj) + "\n```"
    if kind == "code":
        return f"```python\ndef {rng.choice(_NOUNS)}(x):\n    return x * {rng.randint(2, 9)}\n```"
    return _paragraph(rng)


def synthetic_response(rng: random.Random) -> str:
    """One response: mostly English markdown-ish prose; sometimes tiny, Spanish or French."""
    roll = rng.random()
    if roll < 0.05:
        return " ".join(rng.choice(_NOUNS) for _ in range(rng.randint(0, 4)))
    if roll < 0.10:
        return _SPANISH if rng.random() < 0.5 else _FRENCH
    opening = rng.choice(["Sure! ", "Here is the answer: ", "", "", ""])
    blocks = [_block(rng) for _ in range(rng.randint(1, 7))]
    sep = rng.choice(["\n\n", "\n\n", "\n", "\n******\n"])
    return opening + sep.join(blocks)


def synthetic_responses(n: int, seed: int = 0) -> list[str]:
    """`n` responses from one seeded stream."""
    rng = random.Random(seed)
    return [synthetic_response(rng) for _ in range(n)]

"""``lmforge classroom``: the verb table (each verb is a library function and its config)."""

from lmforge.probes import Probe
from lmforge.verbs import Verb

VERBS = (
    Verb(
        "pages",
        "lmforge.classroom.commands:pages",
        "Each page's extracted text, then `pages: N`.",
        config="lmforge.classroom.commands:PagesCommand",
        args=("deck",),
    ),
    Verb(
        "prepare",
        "lmforge.classroom.prepare:prepare",
        "Read + Plan: describe pages, build the outline, write scripts and questions.",
        config="lmforge.classroom.prepare:PrepareConfig",
        args=("deck",),
        aliases={"--page-images": "plan.images"},
    ),
    Verb(
        "regenerate",
        "lmforge.classroom.commands:regenerate",
        "Regenerate one page's script or questions, keeping the rest of a (hand-edited) agenda.",
        config="lmforge.classroom.commands:RegenerateCommand",
        args=("agenda", "deck"),
    ),
    Verb(
        "lecture",
        "lmforge.classroom.commands:lecture",
        "A terminal lecture: type to ask, Enter to go on, letters to answer a quiz, /quit.",
        config="lmforge.classroom.commands:LectureCommand",
        args=("agenda",),
    ),
    Verb(
        "serve",
        "lmforge.classroom.web.serve:serve",
        "The web classroom: teachers upload decks, students take the lecture in a browser.",
        config="lmforge.classroom.web.serve:ServeConfig",
    ),
    Verb(
        "leceval",
        "lmforge.classroom.commands:leceval",
        "Spearman of script-quality scorers against LecEval's human ratings, per rubric.",
        config="lmforge.classroom.commands:LecEvalCommand",
    ),
)


def _page(index: int, title: str, script: str) -> dict:
    return {
        "type": "ppt",
        "index": index,
        "description": title,
        "functions": [
            {"call": "ShowFile", "page": index},
            {"call": "ReadScript", "script": script},
        ],
    }


_AGENDA = {
    "deck": "deck.pdf",
    "root": {
        "type": "node",
        "title": "deck",
        "children": [
            {
                "type": "node",
                "title": "Tokens",
                "children": [
                    _page(1, "Tokenization", "Today we cut text into tokens."),
                    _page(2, "Splitting text", "Whitespace splitting is the simplest baseline."),
                ],
            }
        ],
    },
}
"""A two-page agenda matching the two-page PDF the hostile suite builds for ``"pdf"``."""

_RATED = {
    "transcript": "Let us see how plants make sugar. Do you know where it happens?",
    "rate": {
        "content_relevance": [4, 5, 4],
        "expressive_clarity": [4, 4, 5],
        "logical_structure": [3, 4, 4],
        "audience_engagement": [5, 4, 4],
    },
}
_RATED_2 = {
    "transcript": "Chlorophyll. Light. Sugar.",
    "rate": {
        "content_relevance": [2, 3, 2],
        "expressive_clarity": [2, 2, 3],
        "logical_structure": [2, 2, 1],
        "audience_engagement": [1, 2, 1],
    },
}

PROBES = {
    "pages": Probe(args=("{deck}",), samples={"deck": "pdf"}, model=False),
    "prepare": Probe(
        args=(
            "{deck}",
            "--model",
            "scripted",
            "--describe",
            "extract",
            "--outline",
            "rule",
            "-q",
            "--out",
            "{output}",
        ),
        samples={"deck": "pdf"},
        output="--out",
    ),  # fmt: skip
    "regenerate": Probe(
        args=("{agenda}", "{deck}", "--page", "2", "--model", "scripted"),
        samples={"agenda": _AGENDA, "deck": "pdf"},
    ),
    "lecture": Probe(
        args=("{agenda}", "--model", "scripted", "--student", "silent", "--mode", "continuous"),
        samples={"agenda": _AGENDA},
    ),
    "leceval": Probe(
        args=("--data", "{data}"), samples={"data": [_RATED, _RATED_2, _RATED]}, model=False
    ),
}

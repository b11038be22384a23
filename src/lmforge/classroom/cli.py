"""``lmforge classroom``: the verb table (each verb is a library function and its config)."""

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
        "leceval",
        "lmforge.classroom.commands:leceval",
        "Spearman of script-quality scorers against LecEval's human ratings, per rubric.",
        config="lmforge.classroom.commands:LecEvalCommand",
    ),
)

"""``lmforge toysys``: the verb table."""

from lmforge.verbs import Verb

VERBS = (
    Verb(
        "title",
        "toy_system.titles:title",
        "Give every text a title of at most six words.",
        config="toy_system.titles:TitleConfig",
    ),
)

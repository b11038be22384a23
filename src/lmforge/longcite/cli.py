"""``lmforge longcite``: the verb table (each verb is a library function and its config)."""

from lmforge.probes import Probe
from lmforge.verbs import Verb

VERBS = (
    Verb(
        "split",
        "lmforge.longcite.commands:split",
        "Number a text's sentences as LongCite does (<C0>, <C1>, ...); ends with `sentences: N`.",
        config="lmforge.longcite.commands:SplitCommand",
        args=("text_file",),
    ),
)

PROBES: dict[str, Probe] = {}

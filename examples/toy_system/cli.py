"""``lmforge toysys``: the verb table."""

from lmforge.probes import Probe
from lmforge.verbs import Verb

VERBS = (
    Verb(
        "title",
        "toy_system.titles:title",
        "Give every text a title of at most six words.",
        config="toy_system.titles:TitleConfig",
    ),
)

PROBES = {
    "title": Probe(
        args=("--input", "{input}", "--model", "scripted", "-q", "--output", "{output}"),
        samples={"input": [{"text": "A river runs through the old town."}]},
        output="--output",
    ),
}
"""A valid run of each verb that reads a file: the hostile-input suite breaks it one way at a
time (``lmforge.probes``)."""

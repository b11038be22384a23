"""How the hostile-input suite drives a command: a valid invocation, declared beside the verbs.

Every ``cli.py`` (the core one and each system's) may hold ``PROBES = {"verb name": Probe(...)}``.
``tests/hostile/`` runs each probed verb once as declared (it must succeed), then again with one
thing broken at a time: each file its config reads (fields typed ``JsonlPath``, ``DeckPath`` ...
from :mod:`lmforge.inputs`) replaced by a folder, a FIFO, a device, bad bytes, ``NaN``, deep
nesting, a wrong type per sample field; its ``--config`` by an alias bomb or a typo key; its
output path by a folder. A new command joins the corpus by declaring its probe here, not by
editing the test; a verb whose config reads a file and has no probe fails the suite.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Probe", "probed_verbs"]


@dataclass(frozen=True)
class Probe:
    """A valid run of one verb, from which the hostile suite derives its broken runs."""

    args: tuple[str, ...] = ()
    """The command line after the verb's name. ``{FIELD}`` is replaced by the path of a file
    built from ``samples[FIELD]``; ``{out}`` by a fresh run folder; ``{output}`` by a fresh
    output file path. Use a model that needs no download (``scripted``)."""
    samples: Mapping[str, Any] = field(default_factory=dict)
    """A valid content for each file field: a list of rows (``jsonl``), an object (``json``,
    ``agenda``), a mapping (``yaml``), ``"pdf"``/``"pptx"`` (``deck``, built by the suite), or
    ``"run"`` (``rundir``: a finished run of ``lmforge batch``). For rows, every key of the first
    row is required and typed: the suite drops each and gives each a wrong type."""
    output: str | None = None
    """The option naming an output file (``--output``), checked against a folder and a path under
    a file; None when the verb writes only into its run folder."""
    model: bool = True
    """The verb builds a model: a bad ``LMFORGE_*`` model setting must stop it in one line."""
    accepts: tuple[str, ...] = ()
    """Cases that are valid input for this verb although the corpus refuses them elsewhere,
    named ``FIELD-CASE`` as in the test ids (``"inputs-empty"``: a shard that got no records
    leaves an empty output, and merging it is not an error)."""
    refusals_only: str = ""
    """Why the valid run is not made (it trains a model for minutes): the suite then runs only
    the cases that must be refused, which all stop before the costly part. Empty: all cases."""
    skip: str = ""
    """Why this verb cannot be probed at all (it serves forever); empty: probed."""


def probed_verbs() -> Iterator[tuple[str, Any, Probe | None]]:
    """(command words, Verb, its Probe or None) for every verb of the core and of each declared
    system; the words start with the system's group (``crab backtranslate``)."""
    from .systems import discover

    tables = [("", "lmforge.cli")]
    tables += [(s.name, s.cli) for s in discover() if s.cli is not None]
    for group, module_name in tables:
        module = importlib.import_module(module_name)
        probes: Mapping[str, Probe] = getattr(module, "PROBES", {})
        for verb in module.VERBS:
            yield f"{group} {verb.name}".strip(), verb, probes.get(verb.name)

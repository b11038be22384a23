"""Toysys: a complete lmforge system in one page (docs/adding-a-system.md walks through it).

Try it from a checkout: ``PYTHONPATH=examples LMFORGE_SYSTEMS=toy_system lmforge toysys --help``.
"""

from lmforge.systems import System

from .titles import TitleConfig, title, title_stage, toy_titles

__all__ = ["TitleConfig", "title", "title_stage", "toy_titles"]

SYSTEM = System(
    name="toysys",
    package="toy_system",
    help="Toysys: a one-stage example system (titles for short texts).",
    cli="toy_system.cli",
    benchmarks=("toy_system.titles",),
)

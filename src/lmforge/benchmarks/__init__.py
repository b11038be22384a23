"""Paper-independent benchmarks any system may use.

- :mod:`lmforge.benchmarks.ifeval`: IFEval's 25 verifiable instructions, strict and loose scoring.
- :mod:`lmforge.benchmarks.followbench`: FollowBench HSR/SSR/CSL (rule checks plus an LLM judge).

Shared package: it imports ``llm``, ``pipeline``, ``text`` and ``errors``, never a system.
"""

from lmforge.systems import System

__all__ = ["SYSTEM"]

SYSTEM = System(
    name="benchmarks",
    package="lmforge.benchmarks",
    help="Paper-independent benchmarks any system may use: IFEval, FollowBench.",
    benchmarks=("lmforge.benchmarks.ifeval.benchmark", "lmforge.benchmarks.followbench.benchmark"),
    reports=("lmforge.benchmarks.report",),
)

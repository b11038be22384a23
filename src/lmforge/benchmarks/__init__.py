"""Paper-independent benchmarks any system may use.

- :mod:`lmforge.benchmarks.ifeval`: IFEval's 25 verifiable instructions, strict and loose scoring.
- :mod:`lmforge.benchmarks.followbench`: FollowBench HSR/SSR/CSL (rule checks plus an LLM judge).

Shared package: it imports ``llm``, ``pipeline``, ``text`` and ``errors``, never a system.
"""

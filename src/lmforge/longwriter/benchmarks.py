"""Importing this registers LongWriter's benchmarks; ``lmforge benchmarks`` imports it by name."""

from . import longbench_write, ruler

__all__ = ["longbench_write", "ruler"]

"""System declarations: how the CLI, ``lmforge benchmarks``, ``lmforge report`` and the export
tests find every system without a list in a core file.

A system declares itself once, as ``SYSTEM = System(...)`` in its package's ``__init__.py``. The
declaration holds only strings (module paths), so finding every system imports nothing heavy and
``lmforge --help`` stays fast; a module is imported when a command, a benchmark or a report
section is actually asked for.

Where declarations come from, in order:

1. every sub-package of ``lmforge`` whose ``__init__`` defines ``SYSTEM`` (the built-in systems);
2. installed distributions that advertise an entry point in the group ``lmforge.systems`` (a
   plug-in package: ``[project.entry-points."lmforge.systems"] mysys = "mypkg"``);
3. the modules named in ``LMFORGE_SYSTEMS`` (comma-separated), for trying a system from a
   checkout (``examples/toy_system`` is added this way in the tests).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lmforge.errors import ConfigError

__all__ = ["System", "discover", "get_system", "import_all"]


@dataclass(frozen=True)
class System:
    """One system: its CLI group, the modules that register its benchmarks and report sections.

    ``package`` is the import path of the package whose ``__all__`` is its public API (checked by
    the export tests). ``cli`` names a module with a ``VERBS`` table (:mod:`lmforge.verbs`);
    ``None`` for a declaration that only contributes benchmarks (``lmforge.benchmarks``).
    """

    name: str
    package: str
    help: str
    cli: str | None = None
    benchmarks: tuple[str, ...] = ()
    """Modules whose import registers benchmarks (``@benchmark``)."""
    reports: tuple[str, ...] = ()
    """Modules whose import registers report sections."""


def _from_module(module_name: str) -> System | None:
    module = importlib.import_module(module_name)
    found = getattr(module, "SYSTEM", None)
    if found is not None and not isinstance(found, System):
        raise ConfigError(f"{module_name}.SYSTEM is {type(found).__name__}, not lmforge System")
    return found


def _builtin() -> list[str]:
    """Sub-packages whose ``__init__.py`` declares a ``SYSTEM``: read as text first, so the
    shared packages (whose ``__init__`` may import numpy) are never imported to find out."""
    import lmforge

    found = []
    for info in pkgutil.iter_modules(lmforge.__path__):
        init = Path(info.module_finder.path, info.name, "__init__.py")  # type: ignore[union-attr]
        if info.ispkg and init.is_file() and "SYSTEM = System(" in init.read_text("utf-8"):
            found.append(f"lmforge.{info.name}")
    return found


def _plugins() -> list[str]:
    from importlib.metadata import entry_points

    return [ep.value.partition(":")[0] for ep in entry_points(group="lmforge.systems")]


def _from_env() -> list[str]:
    return [m.strip() for m in os.environ.get("LMFORGE_SYSTEMS", "").split(",") if m.strip()]


@lru_cache(maxsize=1)
def _discover(env: str) -> tuple[System, ...]:
    found: dict[str, System] = {}
    for module_name in dict.fromkeys([*_builtin(), *_plugins(), *_from_env()]):
        try:
            system = _from_module(module_name)
        except ModuleNotFoundError as exc:
            raise ConfigError(f"cannot import system module {module_name!r}: {exc}") from None
        if system is None:
            continue
        if system.name in found and found[system.name] != system:
            raise ConfigError(
                f"two systems are named {system.name!r}: {found[system.name].package} "
                f"and {system.package}"
            )
        found[system.name] = system
    return tuple(found.values())


def discover() -> list[System]:
    """Every declared system (built-in, plug-ins, ``LMFORGE_SYSTEMS``), in discovery order."""
    return list(_discover(os.environ.get("LMFORGE_SYSTEMS", "")))


def get_system(name: str) -> System:
    for system in discover():
        if system.name == name:
            return system
    known = ", ".join(s.name for s in discover())
    raise ConfigError(f"unknown system {name!r} (known: {known})")


def import_all(kind: str) -> None:
    """Import every declared ``benchmarks`` or ``reports`` module, so their registries fill."""
    for system in discover():
        for module_name in getattr(system, kind):
            importlib.import_module(module_name)

"""MAIC as a self-hosted web application: teachers upload decks, students take the lecture.

    from lmforge.classroom.web import WebSettings, create_app
    app = create_app(WebSettings(db_url="sqlite:///classroom.db", model="embedded"))

Started from the shell with ``lmforge classroom serve``. Names resolve lazily (PEP 562) so
importing the table models (the store's migrations do) does not import FastAPI.
"""

from __future__ import annotations

from lmforge._lazy import export_table, lazy_exports

_EXPORTS = export_table(
    """
app: create_app
settings: WebSettings
serve: ServeConfig serve
"""
)

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

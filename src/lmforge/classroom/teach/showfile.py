"""ShowFile: put the page on screen and go on (spec §2.2)."""

from __future__ import annotations

from lmforge.classroom.teach.runtime import Runtime
from lmforge.classroom.teach.state import FunctionState, SessionState


async def step_showfile(state: SessionState, fn: FunctionState, rt: Runtime) -> bool:
    state.displayed_page = fn.page_index
    rt.post(state, fn, "system", "showFile", f"Slide {fn.page_index}")
    return rt.finish(state, fn, "SHOWN")

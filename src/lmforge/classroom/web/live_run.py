"""One drive of one class (`Run`), and the states kept between two drives (`Parking`).

Why park: a learner's post ends the class's wait, so nearly every post starts a new drive, and
a drive used to begin by loading the whole engine state (every message, every function row,
pydantic validation of all of it): a third of the server's time per post. A drive that ends
cleanly (its last step released the lease in the same transaction) leaves its state here, and
the class's next drive in this process takes it over when the live row's claim counter says
nobody claimed the class in between (another worker's drive claims it; a learner's continue
or quiz answer in this process takes the parked state over and parks it again, see
`LiveDriver.act`); otherwise the drive loads from the database as before. The posts
written in between are rows above the mark's last id, merged at the next step as after a load.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from lmforge.classroom.teach.engine import Session

from .live_state import SavedMark

__all__ = ["Parking", "Run"]


@dataclass
class Run:
    """One drive of one session: its state in memory and what the database holds of it."""

    session_id: str
    holder: str
    session: Session | None = None
    version: int | None = None
    mark: SavedMark | None = None
    claims: int = 0
    """The live row's claim count after this drive's latest claim (`LiveSession.claims`)."""
    steps: int = 0
    paused: bool = False
    failed: bool = False
    released: bool = False
    load_error: Exception | None = None


@dataclass
class Parking:
    """The states of classes whose drive ended waiting, most recently parked last."""

    size: int = 1024
    """Most states kept (the oldest go first); 0 turns parking off."""
    states: OrderedDict[str, Run] = field(default_factory=OrderedDict)
    loads: dict[str, int] = field(default_factory=lambda: {"parked": 0, "database": 0})
    """Where the drives found their state (for tests and profiles)."""

    def park(self, run: Run) -> None:
        """Keep the state of a drive that released the lease cleanly in its last step."""
        self.states.pop(run.session_id, None)
        clean = run.released and not run.failed and run.mark is not None
        if not clean or run.session is None or run.session.rt.pending is not None:
            return
        self.states[run.session_id] = run
        while len(self.states) > self.size:
            self.states.popitem(last=False)

    def take(self, run: Run) -> Session | None:
        """The parked engine session for `run` (its version and mark copied into `run`)
        when the drive's claim follows the parked one directly; None: load it."""
        parked = self.states.pop(run.session_id, None)
        if parked is None or parked.claims + 1 != run.claims or parked.session is None:
            self.loads["database"] += 1
            return None
        self.loads["parked"] += 1
        run.version, run.mark = parked.version, parked.mark
        return parked.session

"""Schedules for alpha (the KD share) and for the learning rate, on shared phase boundaries.

Phases are fractions of the run: warmup ``[0, warmup)``, stable ``[warmup, decay_start)``, decay
``[decay_start, 1]``. The WSD-alpha of the paper's best recipe (Table 5: WSD-alpha + WSD-LR)
ramps alpha up while the LR warms up, holds ``alpha_max`` while the LR is at its peak, and decays
it with the LR; sharing one :class:`Phases` makes that alignment a property of the config.

Alpha shapes (``shape(t)`` in [0, 1], t = step / steps), scaled by ``alpha_max``:
``constant`` 1; ``linear_up`` t; ``linear_down`` 1 - t; ``periodic`` (1 - cos(2 pi t / period)) / 2
... a raised cosine with ``period`` as a fraction of the run, starting at 0; ``wsd`` the three
phases above (linear ramp, hold, linear decay to 0). ``on="beta"`` applies the shape to
beta = 1 - alpha instead (the paper's "WSD-beta"): alpha = 1 - alpha_max * shape(t).

LR: ``cosine`` (linear warmup, then cosine from the peak to ``min_lr_ratio`` over the rest);
``wsd`` (linear warmup, hold the peak, linear decay to ``min_lr_ratio`` in the decay phase);
``constant`` (warmup then flat).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["AlphaSchedule", "LRSchedule", "Phases", "alpha_at", "lr_at"]


class Phases(BaseModel):
    """Warmup-stable-decay boundaries, as fractions of the run; shared by alpha and LR."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    warmup: float = Field(0.05, ge=0, lt=1)
    """End of the warmup phase (fraction of the steps)."""
    decay_start: float = Field(0.8, gt=0, le=1)
    """Start of the decay phase (fraction of the steps); 1: no decay."""

    @model_validator(mode="after")
    def _ordered(self) -> Phases:
        if self.decay_start < self.warmup:
            raise ValueError("decay_start must not come before the end of warmup")
        return self


class AlphaSchedule(BaseModel):
    """How the KD share alpha moves during the run."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    shape: Literal["constant", "linear_up", "linear_down", "periodic", "wsd"] = "constant"
    """constant, linear_up, linear_down, periodic or wsd (ramp, hold, decay on the phases)."""
    alpha_max: float = Field(0.9, ge=0, le=1)
    """The peak value (of alpha, or of beta = 1 - alpha with on=beta); 0: LM only."""
    on: Literal["alpha", "beta"] = "alpha"
    """alpha: the shape scales alpha; beta: it scales 1 - alpha (the paper's WSD-beta)."""
    period: float = Field(0.25, gt=0, le=1)
    """periodic only: one cycle's length as a fraction of the run."""


class LRSchedule(BaseModel):
    """The learning rate over the run."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    shape: Literal["cosine", "wsd", "constant"] = "wsd"
    """cosine (warmup then cosine), wsd (warmup, hold, linear decay) or constant."""
    peak: float = Field(2e-3, gt=0)
    """Peak learning rate."""
    min_lr_ratio: float = Field(0.0, ge=0, le=1)
    """Final LR as a fraction of the peak."""


def _fraction(step: int, steps: int) -> float:
    return min(max(step / max(steps, 1), 0.0), 1.0)


def _wsd(t: float, phases: Phases) -> float:
    if t < phases.warmup:
        return t / phases.warmup
    if t < phases.decay_start or phases.decay_start >= 1.0:
        return 1.0
    return max(0.0, (1.0 - t) / (1.0 - phases.decay_start))


def alpha_at(step: int, steps: int, schedule: AlphaSchedule, phases: Phases) -> float:
    """Alpha at ``step`` of ``steps`` (step 0 is the first update)."""
    t = _fraction(step, steps)
    shape = {
        "constant": lambda: 1.0,
        "linear_up": lambda: t,
        "linear_down": lambda: 1.0 - t,
        "periodic": lambda: 0.5 * (1.0 - math.cos(2.0 * math.pi * t / schedule.period)),
        "wsd": lambda: _wsd(t, phases),
    }[schedule.shape]()
    value = schedule.alpha_max * shape
    return value if schedule.on == "alpha" else 1.0 - value


def lr_at(step: int, steps: int, schedule: LRSchedule, phases: Phases) -> float:
    """The learning rate at ``step`` of ``steps``."""
    t = _fraction(step, steps)
    low = schedule.min_lr_ratio
    if phases.warmup > 0 and t < phases.warmup:  # (step + 1): the first update is not zero
        return schedule.peak * min(1.0, (step + 1) / max(1.0, phases.warmup * steps))
    if schedule.shape == "constant":
        factor = 1.0
    elif schedule.shape == "wsd":
        factor = low + (1.0 - low) * _wsd(t, phases)
    else:
        span = max(1.0 - phases.warmup, 1e-12)
        progress = (t - phases.warmup) / span
        factor = low + (1.0 - low) * 0.5 * (1.0 + math.cos(math.pi * progress))
    return schedule.peak * factor

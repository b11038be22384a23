import math

import pytest

from lmforge.distill import AlphaSchedule, LRSchedule, Phases, alpha_at, lr_at

PH = Phases(warmup=0.1, decay_start=0.8)
N = 100


def alphas(**kw):
    return [alpha_at(s, N, AlphaSchedule(**kw), PH) for s in range(N + 1)]


def test_alpha_shapes():
    assert set(alphas(shape="constant", alpha_max=0.7)) == {0.7}
    up, down = alphas(shape="linear_up", alpha_max=0.9), alphas(shape="linear_down", alpha_max=0.9)
    assert up[0] == 0 and math.isclose(up[-1], 0.9) and up == sorted(up)
    assert math.isclose(down[0], 0.9) and down[-1] == 0 and down == sorted(down, reverse=True)
    wsd = alphas(shape="wsd", alpha_max=0.9)
    assert wsd[0] == 0 and math.isclose(wsd[5], 0.45)  # ramp during warmup
    assert set(wsd[10:80]) == {0.9}  # hold in the stable phase
    assert math.isclose(wsd[90], 0.45) and wsd[100] == 0  # decay with the LR
    per = alphas(shape="periodic", alpha_max=1.0, period=0.25)
    assert per[0] == 0 and math.isclose(per[12], 0.5 * (1 - math.cos(2 * math.pi * 0.48)))
    assert math.isclose(per[25], 0.0, abs_tol=1e-12) and math.isclose(per[50], 0, abs_tol=1e-12)
    assert max(per) > 0.99


def test_beta_applies_the_shape_to_the_lm_share():
    beta = alphas(shape="wsd", alpha_max=0.9, on="beta")
    assert beta[0] == 1.0 and math.isclose(beta[50], 0.1) and beta[100] == 1.0


def test_lr_wsd_and_cosine_share_the_phase_boundaries():
    wsd = [lr_at(s, N, LRSchedule(shape="wsd", peak=1.0), PH) for s in range(N + 1)]
    cos = [
        lr_at(s, N, LRSchedule(shape="cosine", peak=1.0, min_lr_ratio=0.1), PH)
        for s in range(N + 1)
    ]
    assert 0 < wsd[0] < 0.2 and wsd[0] == cos[0]  # same warmup, first update not zero
    assert wsd[9] == cos[9] == 1.0
    assert set(wsd[10:80]) == {1.0} and math.isclose(wsd[90], 0.5) and wsd[100] == 0
    assert cos[10:] == sorted(cos[10:], reverse=True) and math.isclose(cos[100], 0.1)
    mid = 10 + (100 - 10) // 2
    assert math.isclose(cos[mid], 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)))


def test_phases_must_be_ordered():
    with pytest.raises(ValueError):
        Phases(warmup=0.5, decay_start=0.3)

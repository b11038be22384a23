"""The collector's settings during a run, and that they are put back after it."""

import asyncio
import gc

import pytest

from lmforge.config import get_settings
from lmforge.pipeline import gc_scope
from lmforge.pipeline.runner import Stage, run_stage


@pytest.fixture(autouse=True)
def collector():
    """Each test starts from CPython's defaults and leaves them so, whatever it changed."""
    saved = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*saved)
    gc.enable()
    get_settings.cache_clear()


def seen_stage(seen: list):
    async def look(record, ctx):
        seen.append((gc.get_threshold()[0], gc.get_freeze_count() > 0))
        await asyncio.sleep(0)
        return record

    return Stage("look", look)


async def run(tmp_path, seen, n=3, name="out"):
    records = [{"id": f"{name}{i}"} for i in range(n)]
    return await run_stage(seen_stage(seen), records, tmp_path / f"{name}.jsonl", quiet=True)


async def test_a_run_freezes_and_raises_the_young_threshold_then_puts_both_back(tmp_path):
    before = gc.get_threshold()
    seen: list = []
    summary = await run(tmp_path, seen)
    assert summary.done == 3
    assert seen == [(gc_scope.YOUNG_THRESHOLD, True)] * 3
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


async def test_concurrent_runs_share_one_scope_that_ends_with_the_last(tmp_path):
    before = gc.get_threshold()
    first: list = []
    second: list = []
    await asyncio.gather(run(tmp_path, first, 5, "a"), run(tmp_path, second, 1, "b"))
    # the short run ended first; the long one still ran under the scope
    assert first == [(gc_scope.YOUNG_THRESHOLD, True)] * 5
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


async def test_lmforge_gc_default_leaves_the_collector_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("LMFORGE_GC", "default")
    get_settings.cache_clear()
    seen: list = []
    await run(tmp_path, seen)
    assert seen == [(gc.get_threshold()[0], False)] * 3


def tracked(obj) -> bool:
    """Whether ``obj`` is in a generation the collector walks (frozen objects are not)."""
    return any(o is obj for o in gc.get_objects())


async def test_a_freeze_made_by_someone_else_is_kept(tmp_path):
    mine = [[1]]
    gc.freeze()
    await run(tmp_path, [])
    assert not tracked(mine)  # still frozen: the run did not unfreeze it


async def test_objects_frozen_by_the_run_are_walked_again_after_it(tmp_path):
    mine = [[1]]
    seen: list = []

    async def look(record, ctx):
        seen.append(tracked(mine))
        return record

    await run_stage(Stage("look", look), [{"id": "x"}], tmp_path / "o.jsonl", quiet=True)
    assert seen == [False] and tracked(mine)


async def test_a_disabled_collector_stays_disabled(tmp_path):
    gc.disable()
    seen: list = []
    await run(tmp_path, seen)
    assert not gc.isenabled()
    assert seen == [(gc.get_threshold()[0], False)] * 3


def test_a_bad_lmforge_gc_is_one_line_naming_the_variable(monkeypatch):
    from lmforge.errors import InputError

    monkeypatch.setenv("LMFORGE_GC", "off")
    get_settings.cache_clear()
    with pytest.raises(InputError, match="LMFORGE_GC"):
        get_settings()

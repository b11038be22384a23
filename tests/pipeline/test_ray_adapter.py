"""The same stage function over a Ray Dataset (extra ``ray``)."""

import pytest

ray = pytest.importorskip("ray", reason="extra 'ray' not installed")

from lmforge.pipeline.ray_adapter import dataset_to_records, map_stage, records_to_dataset  # noqa: E402
from lmforge.pipeline.runner import Stage  # noqa: E402


async def count_words(record, ctx):
    if not record["text"]:
        raise ValueError("empty text")
    answer = await ctx.generate(record["text"], max_tokens=4)
    return {**record, "words": len(record["text"].split()), "answer": answer.text}


@pytest.fixture(scope="module")
def ray_local():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_stage_runs_on_ray_with_error_rows(ray_local):
    records = [{"id": str(i), "text": "a b c"[: i % 6]} for i in range(12)]
    ds = map_stage(
        records_to_dataset(records),
        Stage("count", count_words),
        model="scripted",
        actors=2,
        batch_size=4,
    )
    done, errors = dataset_to_records(ds)
    assert {r["id"] for r in done} | {e["id"] for e in errors} == {str(i) for i in range(12)}
    assert {e["id"] for e in errors} == {"0", "6"}
    assert all(e["_meta"]["error"] == "ValueError: empty text" for e in errors)
    by_id = {r["id"]: r for r in done}
    assert by_id["5"]["words"] == 3 and by_id["5"]["answer"] == "OK"

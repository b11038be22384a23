import asyncio

import pytest

from lmforge.llm.cache import CachedLLM, CallCache, cache_key
from lmforge.llm.scripted import ScriptedLLM
from lmforge.llm.types import Completion, GenerateConfig, Message

MSGS = [Message(role="user", content="hello")]


def key(messages=MSGS, spec="m", **config):
    return cache_key(spec, messages, GenerateConfig(**config))


def test_transport_settings_do_not_change_the_key():
    assert key() == key(max_retries=0) == key(timeout=3.0) == key(max_retries=9, timeout=1)


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [Message(role="user", content="hello!")]},
        {"spec": "other"},
        {"temperature": 0.7},
        {"seed": 1},
        {"sample_index": 1},
        {"max_tokens": 7},
        {"json_schema": {"type": "object"}},
    ],
)
def test_what_changes_the_output_changes_the_key(change):
    assert key(**change) != key()


async def test_cached_llm_serves_repeats_from_sqlite(tmp_path):
    cache = CallCache(tmp_path / "c.sqlite")
    inner = ScriptedLLM(["first", "second"])
    llm = CachedLLM(inner, cache)
    a = await llm.generate("hello")
    b = await llm.generate("hello", GenerateConfig(max_retries=0))
    c = await llm.generate("hello", GenerateConfig(sample_index=1))
    assert (a.text, b.text, c.text) == ("first", "first", "second")
    assert (a.cached, b.cached, c.cached) == (False, True, False)
    assert len(inner.calls) == 2
    # a new process sees the same file
    again = CachedLLM(ScriptedLLM([]), CallCache(tmp_path / "c.sqlite"))
    assert (await again.generate("hello")).text == "first"
    stats = cache.stats()
    assert stats.entries == 2 and stats.models == {"scripted": 2}
    assert cache.clear() == 2 and cache.stats().entries == 0


async def test_generate_many_keeps_input_order_under_a_limit():
    import asyncio

    in_flight = peak = 0

    class Slow(ScriptedLLM):
        async def _generate(self, messages, config):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01 * (5 - int(messages[-1].content) % 5))
            in_flight -= 1
            return await super()._generate(messages, config)

    from lmforge.llm.types import Request

    llm = Slow(lambda m, c: "answer " + m[-1].content)
    requests = [Request(messages=[Message(role="user", content=str(i))]) for i in range(12)]
    results = await llm.generate_many(requests, concurrency=3)
    assert [r.text for r in results] == [f"answer {i}" for i in range(12)]
    assert peak == 3


def test_keys_are_those_earlier_versions_stored():
    """Digests made by the one-``json.dumps`` key of earlier versions: a cache file keeps
    answering after the key is built faster (from parts, the config's part remembered)."""
    messages = [
        Message(role="system", content="Sé brief."),
        Message(role="user", content='hello "ünï" 中文'),
    ]
    schema = {"type": "object", "b": 1, "a": [2]}
    config = GenerateConfig(max_tokens=8, json_schema=schema, stop=("\n",))
    spec = "openai:stub@http://x/v1"
    assert cache_key(spec, messages, config) == (
        "9e9ef593042a7fc42631306f54fd7b6ccb9176437ae7ac4b04f8614eeef14ae4"
    )
    assert cache_key(spec, messages, config) == cache_key(spec, messages, config)  # remembered
    assert key() == "1b25aa90d6a1d893adbf1099374c3fbf42a25d91cd64c6a9fe7c1abcddd6dab2"


def test_image_messages_key_as_their_whole_dump():
    import hashlib
    import json

    from lmforge.llm.types import ImagePart, TextPart

    message = Message(role="user", content=(TextPart(text="what is it?"), ImagePart(data="QUJD")))
    payload = {"model": "m", "messages": [message.model_dump()], "config": {}}
    payload["config"] = GenerateConfig().key_dict()
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    expected = hashlib.sha256(blob.encode()).hexdigest()
    assert cache_key("m", [message], GenerateConfig()) == expected


def test_multi_row_inserts_keep_order_and_replace_duplicates(tmp_path):
    from lmforge.llm.cache import connect
    from lmforge.llm.cache_thread import insert_rows

    db = connect(tmp_path / "c.sqlite")
    rows = [(f"k{i % 450}", "m", f"v{i}", float(i)) for i in range(500)]  # 3 statements
    insert_rows(db, rows)
    insert_rows(db, [("single", "m", "s", 0.0)])
    db.commit()
    stored = dict(db.execute("SELECT key, completion FROM calls").fetchall())
    assert len(stored) == 451 and stored["single"] == "s"
    assert stored["k0"] == "v450" and stored["k49"] == "v499" and stored["k50"] == "v50"
    db.close()


async def test_a_read_sees_a_write_queued_in_the_same_batch(tmp_path):
    cache = CallCache(tmp_path / "c.sqlite")
    done = Completion(text="hi", model="m", finish_reason="stop")
    # both asked in one turn of the loop: one batch, the read after the write
    put = asyncio.ensure_future(cache.aput("k", "m", done))
    get = asyncio.ensure_future(cache.aget("k"))
    got = await asyncio.gather(get, put)
    assert got[0] is not None and got[0].text == "hi" and got[1] is True
    cache.close()


async def test_reads_are_answered_before_the_batch_commits(tmp_path, monkeypatch):
    """A read does not wait for the writes of its batch: held commits, answered read."""
    import threading

    from lmforge.llm.cache_thread import CacheThread

    cache = CallCache(tmp_path / "c.sqlite")
    cache.put("old", "m", Completion(text="stored", model="m", finish_reason="stop"))
    release = threading.Event()
    commit = CacheThread._execute

    def held(self, db, items):
        release.wait(10)
        return commit(self, db, items)

    monkeypatch.setattr(CacheThread, "_execute", held)
    new = Completion(text="new", model="m", finish_reason="stop")
    put = asyncio.ensure_future(cache.aput("new", "m", new))
    hit = await asyncio.wait_for(cache.aget("old"), 5)  # answered while the commit is held
    assert hit is not None and hit.text == "stored" and not put.done()
    release.set()
    assert await put is True
    cache.close()

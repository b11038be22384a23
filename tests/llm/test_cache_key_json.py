"""The cache key's hand-written JSON of text messages is byte for byte ``json.dumps``'s."""

from __future__ import annotations

import hashlib
import json
import random

from lmforge.llm.cache_key import cache_key
from lmforge.llm.types import GenerateConfig, Message, TextPart

_CHARS = ["a", '"', "\\", "\n", "\t", "\x00", "\x1f", "\u2028", "é", "中", "\U0001f600", "\x7f"]


def _reference(spec: str, messages: list[Message], config: GenerateConfig) -> str:
    payload = {
        "config": config.key_dict(),
        "messages": [m.model_dump() for m in messages],
        "model": spec,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def test_keys_of_escaped_and_non_ascii_text_match_json_dumps():
    rng = random.Random(7)
    for i in range(2000):
        messages = [
            Message(
                role=rng.choice(["system", "user", "assistant"]),
                content="".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 10))),
            )
            for _ in range(rng.randint(0, 3))
        ]
        if i % 20 == 0:  # a message with parts goes through model_dump
            messages.append(Message(role="user", content=(TextPart(text='x"é'),)))
        spec = "openai:" + "".join(rng.choice(_CHARS) for _ in range(4))
        config = GenerateConfig(max_tokens=rng.randint(1, 9))
        assert cache_key(spec, messages, config) == _reference(spec, messages, config)

"""The call cache's key: the SHA-256 of the canonical JSON of (model spec, messages, the
generation fields that change the output).

Built from its sorted parts, with the parts a run repeats (its config, its model spec)
remembered, because the key is made once per call and a plain ``json.dumps`` of the whole
payload was a visible share of an instant server's per-call cost. The bytes are those of one
``json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``, so files
written by earlier versions keep answering (``tests/llm/test_cache.py`` pins digests).
"""

from __future__ import annotations

import hashlib
import json
import json.encoder

from .types import GenerateConfig, Message

_KEY_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
"""The canonical JSON of a key's parts (``json.dumps(..., sort_keys=True)``), made once."""

_str_json = json.encoder.encode_basestring
"""What ``_KEY_JSON`` writes for one string (``ensure_ascii=False``)."""

_CONFIG_KEYS: dict[int, tuple[GenerateConfig, str]] = {}
"""The canonical JSON of each recent config's ``key_dict`` by ``id``: a stage asks with one
config object for every record, and its ``model_dump`` was a third of the key's cost. The entry
holds the config, so its ``id`` cannot be reused while it is here."""


def _config_json(config: GenerateConfig) -> str:
    found = _CONFIG_KEYS.get(id(config))
    if found is not None and found[0] is config:
        return found[1]
    text = _KEY_JSON.encode(config.key_dict())
    if len(_CONFIG_KEYS) >= 256:
        _CONFIG_KEYS.clear()
    _CONFIG_KEYS[id(config)] = (config, text)
    return text


def _message_dict(message: Message) -> dict:
    if isinstance(message.content, str):  # what model_dump gives for a text message
        return {"role": message.role, "content": message.content}
    return message.model_dump()


_SPEC_JSON: dict[str, str] = {}
"""The canonical JSON of each model spec seen (a run asks one model thousands of times)."""


def _messages_json(messages: list[Message]) -> str:
    """``_KEY_JSON.encode([_message_dict(m) ...])``, text messages written directly: sorted keys
    put ``content`` before ``role``, and each string is what the encoder writes for it
    (``encode_basestring``, as ``ensure_ascii=False`` does). Half the key's cost before."""
    if not all(isinstance(m.content, str) for m in messages):
        return _KEY_JSON.encode([_message_dict(m) for m in messages])
    parts = [f'{{"content":{_str_json(m.content)},"role":{_str_json(m.role)}}}' for m in messages]
    return f"[{','.join(parts)}]"


def _spec_json(spec: str) -> str:
    found = _SPEC_JSON.get(spec)
    if found is None:
        if len(_SPEC_JSON) >= 256:
            _SPEC_JSON.clear()
        found = _SPEC_JSON[spec] = _KEY_JSON.encode(spec)
    return found


def cache_key(spec: str, messages: list[Message], config: GenerateConfig) -> str:
    """SHA-256 of the canonical JSON of ``{"config", "messages", "model"}`` (keys sorted at every
    level, no spaces, UTF-8). Built from its sorted parts, the config's part remembered: the
    bytes are those of one ``json.dumps(payload, sort_keys=True)``, so keys stored by earlier
    versions still match (``tests/llm/test_cache.py`` pins them)."""
    canonical = (
        f'{{"config":{_config_json(config)},'
        f'"messages":{_messages_json(messages)},'
        f'"model":{_spec_json(spec)}}}'
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

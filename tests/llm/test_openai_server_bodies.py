"""The served endpoints answer a body that is not a JSON object with a 400 naming why, and
stay up: the same reply from /v1/chat/completions and /v1/completions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from lmforge.llm.openai_server import create_app
from lmforge.llm.scripted import ScriptedLLM


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/completions"])
@pytest.mark.parametrize(
    ("body", "why"),
    [(b"{not json", "request body is not JSON"), (b"[1, 2]", "must be a JSON object")],
)
def test_a_bad_body_is_a_400_with_the_reason(path, body, why):
    client = TestClient(create_app(ScriptedLLM(["OK"], cycle=True), "m"))
    reply = client.post(path, content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert why in error["message"] and error["type"] == "invalid_request_error"
    ok = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})
    assert ok.status_code == 200 and ok.json()["choices"][0]["message"]["content"] == "OK"

"""The prompt-logprobs teacher against a real server on 127.0.0.1.

The server is our ``openai_server`` over the hf backend holding the same random tiny Llama as
the ``tiny:0`` teacher, under uvicorn in a thread. A store extracted through HTTP must hold the
same windows, the same kept ids and the same log-probs (to fp16) as the store the hf teacher
writes itself; both the vLLM ``prompt_logprobs`` reply and the legacy ``echo`` reply are read.
"""

from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest

from lmforge.distill import ExtractConfig, LogitStore, extract, load_teacher
from lmforge.distill.http_teacher import (
    HTTPTeacher,
    parse_echo_logprobs,
    parse_prompt_logprobs,
    split_spec,
)
from lmforge.errors import ConfigError, MalformedResponseError


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base URL, tokenizer folder) of a server in front of the tiny:0 teacher's model."""
    import uvicorn

    from lmforge.llm.hf import HFLLM
    from lmforge.llm.openai_server import create_app

    teacher = load_teacher("tiny:0")
    folder = tmp_path_factory.mktemp("tok")
    teacher.tokenizer.save_pretrained(folder)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(HFLLM(teacher.model, teacher.tokenizer, spec="hf:tiny"), "tiny")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    yield port, folder
    server.should_exit = True
    thread.join(10)


def test_store_through_http_matches_the_hf_teachers_own(served, corpus, tmp_path):
    port, folder = served
    common = dict(input=corpus, top_p=0.9, top_k=8, window=16, windows_per_shard=3, max_windows=6)
    extract(ExtractConfig(store=tmp_path / "hf", teacher="tiny:0", **common), quiet=True)
    # two spellings of the one server: the windows go through the endpoint pool
    urls = f"http://127.0.0.1:{port}/v1,http://localhost:{port}/v1"
    spec = f"openai:tiny@{urls}#tokenizer={folder},limit=2"
    figures = extract(ExtractConfig(store=tmp_path / "http", teacher=spec, **common), quiet=True)
    assert figures["complete"]
    ours, theirs = LogitStore(tmp_path / "http"), LogitStore(tmp_path / "hf")
    assert len(ours) == len(theirs) == 6 and ours.vocab_size == theirs.vocab_size
    assert ours.manifest["teacher"] == spec
    for w in range(6):
        tokens, counts, ids, values = ours.raw(w)
        ref_tokens, ref_counts, ref_ids, ref_values = theirs.raw(w)
        np.testing.assert_array_equal(tokens, ref_tokens)
        np.testing.assert_array_equal(counts, ref_counts)
        np.testing.assert_array_equal(ids, ref_ids)
        np.testing.assert_allclose(values, ref_values, atol=2e-3, rtol=1e-3)  # fp16 storage


def test_an_extraction_resumes_against_another_list_of_the_same_servers(served, corpus, tmp_path):
    """The fingerprint holds the model name and tokenizer, not the URLs: a store started on one
    server list finishes on another; another model name is still refused."""
    from lmforge.errors import InputError

    port, folder = served
    common = dict(input=corpus, top_p=0.9, top_k=8, window=16, windows_per_shard=3, max_windows=6)
    first = f"openai:tiny@http://127.0.0.1:{port}/v1#tokenizer={folder}"
    cfg = ExtractConfig(store=tmp_path / "s", teacher=first, **common)

    def kill(index):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        extract(cfg, quiet=True, on_shard=kill)
    urls = f"http://localhost:{port}/v1,http://127.0.0.1:{port}/v1"
    moved = cfg.model_copy(update={"teacher": f"openai:tiny@{urls}#tokenizer={folder},limit=2"})
    figures = extract(moved, quiet=True)
    assert figures["shards_resumed"] == 1 and figures["complete"]
    assert len(LogitStore(tmp_path / "s")) == 6
    other = cfg.model_copy(update={"teacher": f"openai:other@{urls}#tokenizer={folder}"})
    with pytest.raises(InputError, match="other settings"):
        extract(other, quiet=True)


def test_legacy_echo_reply_gives_the_same_top_k(served):
    port, folder = served
    url = f"http://127.0.0.1:{port}/v1"
    reference = load_teacher("tiny:0")
    windows = np.asarray([[5, 17, 30, 42, 7, 99, 3, 64], [1, 2, 3, 4, 5, 6, 7, 8]])
    want_v, want_i = reference.top_logprobs(windows, 5)
    for api in ("prompt_logprobs", "echo"):
        teacher = load_teacher(f"openai:tiny@{url}#tokenizer={folder},api={api}")
        assert isinstance(teacher, HTTPTeacher) and teacher.vocab_size == reference.vocab_size
        values, ids = teacher.top_logprobs(windows, 5)
        assert values.shape == ids.shape == (2, 7, 5)
        np.testing.assert_array_equal(ids.numpy(), want_i.numpy())
        np.testing.assert_allclose(values.numpy(), want_v.numpy(), atol=1e-5)


def test_replies_are_read_by_rank_and_checked():
    reply = {
        "choices": [
            {
                "prompt_logprobs": [
                    None,
                    {
                        "7": {"logprob": -0.1, "rank": 1},
                        "3": {"logprob": -2.5, "rank": 2},
                        "9": {"logprob": -6.0, "rank": 40},  # the prompt token, beyond top 2
                    },
                    {"4": {"logprob": -1.0, "rank": 2}, "5": {"logprob": -0.5, "rank": 1}},
                ]
            }
        ]
    }
    values, ids = parse_prompt_logprobs(reply, 3, 2)
    assert ids.tolist() == [[7, 3], [5, 4]]
    np.testing.assert_array_equal(values, np.float32([[-0.1, -2.5], [-0.5, -1.0]]))
    with pytest.raises(MalformedResponseError, match="expected 4 prompt_logprobs"):
        parse_prompt_logprobs(reply, 4, 2)
    short = {
        "choices": [
            {
                "prompt_logprobs": [
                    None,
                    {"1": {"logprob": -1.0}},
                    reply["choices"][0]["prompt_logprobs"][2],
                ]
            }
        ]
    }
    with pytest.raises(MalformedResponseError, match="max-logprobs"):
        parse_prompt_logprobs(short, 3, 2)
    bad = {"choices": [{"prompt_logprobs": [None, {"1": {"logprob": "x"}}]}]}
    with pytest.raises(MalformedResponseError, match="not a number"):
        parse_prompt_logprobs(bad, 2, 1)

    class Tok:
        unk_token, unk_token_id = "<unk>", 0

        def convert_tokens_to_ids(self, token: str) -> int:
            return {"a": 1, "b": 2}.get(token, 0)

    legacy = {"choices": [{"logprobs": {"top_logprobs": [None, {"b": -0.2, "token_id:9": -1.9}]}}]}
    values, ids = parse_echo_logprobs(legacy, 2, 2, Tok())
    assert ids.tolist() == [[2, 9]]
    unknown = {"choices": [{"logprobs": {"top_logprobs": [None, {"zz": -0.2}]}}]}
    with pytest.raises(MalformedResponseError, match="return_tokens_as_token_ids"):
        parse_echo_logprobs(unknown, 2, 1, Tok())


def test_spec_flags(tmp_path):
    assert split_spec("openai:m@http://a/v1#tokenizer=/t,vision,api=echo,limit=3") == (
        "openai:m@http://a/v1#vision,limit=3",
        {"tokenizer": "/t", "api": "echo"},
    )
    with pytest.raises(ConfigError, match="#tokenizer=PATH"):
        load_teacher("openai:m@http://127.0.0.1:9/v1")
    with pytest.raises(ConfigError, match="api must be one of"):
        HTTPTeacher(None, None, spec="s", vocab_size=5, api="chat")

"""Images from a Message to a vision model: wire format, spec flag, refusals, a tiny random
LLaVA in-process, and the same model behind a real OpenAI-compatible server.

The tiny LLaVA (``save_tiny_llava``) expands each image into 16 tokens and its logits depend
visibly on the pixels, so "the image reached the model" is checked on numbers that cannot match
by accident: prompt token counts, and first-token log-probabilities for two different images.
"""

from __future__ import annotations

import io
import json

import httpx
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("fastapi")

from PIL import Image  # noqa: E402

from lmforge.errors import BadRequestError, ConfigError, InputError  # noqa: E402
from lmforge.llm.hf import HFLLM  # noqa: E402
from lmforge.llm.openai_compat import OpenAICompatLLM  # noqa: E402
from lmforge.llm.openai_format import chat_body, image_from_url, message_from_wire  # noqa: E402
from lmforge.llm.openai_server import create_app  # noqa: E402
from lmforge.llm.registry import get_llm  # noqa: E402
from lmforge.llm.types import GenerateConfig, ImagePart, Message, TextPart  # noqa: E402
from lmforge.training import save_tiny_llava, save_tiny_model  # noqa: E402

IMAGE_TOKENS = 16  # (32 px / 8 px patches) ** 2


def png(color: tuple[int, int, int], *, stripes: bool = False) -> ImagePart:
    image = Image.new("RGB", (48, 40), color)
    if stripes:
        for x in range(0, 48, 6):
            for y in range(40):
                image.putpixel((x, y), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return ImagePart.from_bytes(buffer.getvalue())


RED, BLUE_STRIPES = png((255, 0, 0)), png((0, 0, 255), stripes=True)


def ask(image: ImagePart | None, text: str = "What is in the picture?") -> list[Message]:
    parts = (image, TextPart(text=text)) if image else (TextPart(text=text),)
    return [Message(role="user", content=parts)]


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert message and "\n" not in message
    return message


@pytest.fixture(scope="module")
def llava_dir(tmp_path_factory):
    return save_tiny_llava(tmp_path_factory.mktemp("tiny-llava"))


@pytest.fixture(scope="module")
def llava(llava_dir) -> HFLLM:
    return get_llm(f"hf:{llava_dir}", cache=False)


@pytest.fixture(scope="module")
def text_llm(tmp_path_factory) -> HFLLM:
    return HFLLM.from_spec(str(save_tiny_model(tmp_path_factory.mktemp("tiny-llama"))))


# --- wire format and specs ------------------------------------------------------------------


def test_parts_go_on_the_wire_in_openai_shape_and_strings_stay_strings():
    messages = [Message(role="system", content="Be brief."), *ask(RED, "Colour?")]
    body = chat_body(messages, GenerateConfig(), model="m")
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["messages"][1]["content"] == [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{RED.data}"}},
        {"type": "text", "text": "Colour?"},
    ]
    json.dumps(body)  # plain JSON, as httpx will send it
    assert [message_from_wire(m) for m in body["messages"]] == messages


def test_only_data_urls_are_taken_from_the_wire():
    jpeg = ImagePart(data="QUJD", mime="image/jpeg")
    assert image_from_url("data:image/jpeg;base64,QUJD") == jpeg
    with pytest.raises(InputError) as err:
        image_from_url("https://example.com/cat.png")
    assert "data: URL" in one_line(err)
    with pytest.raises(InputError):
        message_from_wire({"role": "user", "content": [{"type": "input_audio"}]})


def test_vision_flag_in_an_openai_spec():
    plain = get_llm("openai:m@http://127.0.0.1:9/v1", cache=False)
    vision = get_llm("openai:m@http://127.0.0.1:9/v1#vision", cache=False)
    assert not plain.supports_images and vision.supports_images
    assert vision.base_url == "http://127.0.0.1:9/v1"  # the fragment is never sent
    assert vision.spec == "openai:m@http://127.0.0.1:9/v1#vision"  # and round-trips
    assert get_llm(vision.spec).supports_images  # the cached wrapper says the same
    with pytest.raises(ConfigError) as err:
        get_llm("openai:m@http://127.0.0.1:9/v1#vison", cache=False)
    assert "vison" in one_line(err)


async def test_images_are_refused_before_any_request_without_the_flag():
    sent: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        body = {"choices": [{"message": {"content": "red"}, "finish_reason": "stop"}]}
        return httpx.Response(200, json=body)

    transport = httpx.MockTransport(server)
    plain = OpenAICompatLLM("m", "http://x/v1", api_key="", transport=transport)
    with pytest.raises(InputError) as err:
        await plain.generate(ask(RED))
    assert "#vision" in one_line(err)
    with pytest.raises(InputError):
        async for _ in plain.stream_chunks(ask(RED)):
            pass
    assert sent == []
    vision = OpenAICompatLLM(
        "m", "http://x/v1", api_key="", transport=transport, supports_images=True
    )
    assert (await vision.generate(ask(RED))).text == "red"
    part = json.loads(sent[0].content)["messages"][0]["content"][0]
    assert part["image_url"]["url"] == RED.data_url


async def test_the_embedded_model_refuses_images_without_loading():
    with pytest.raises(InputError) as err:
        await get_llm("embedded", cache=False).generate(ask(RED))
    assert "does not accept images" in one_line(err)


# --- the tiny LLaVA in-process ----------------------------------------------------------------


def test_tiny_llava_is_small_and_loads_as_a_vision_model(llava, llava_dir, text_llm):
    assert isinstance(llava, HFLLM) and llava.supports_images and llava.processor is not None
    assert sum(f.stat().st_size for f in llava_dir.iterdir()) < 2_000_000
    assert not text_llm.supports_images and text_llm.processor is None


async def test_image_tokens_are_counted_in_the_prompt(llava):
    config = GenerateConfig(max_tokens=4)
    with_image = await llava.generate(ask(RED), config)
    without = await llava.generate(ask(None), config)
    assert with_image.usage.prompt_tokens == without.usage.prompt_tokens + IMAGE_TOKENS
    assert 1 <= with_image.usage.completion_tokens <= 4


async def test_the_pixels_reach_the_model(llava):
    config = GenerateConfig(max_tokens=2, top_logprobs=5)

    async def first_token(image: ImagePart) -> list[float]:
        completion = await llava.generate(ask(image), config)
        return [value for _, value in completion.logprobs[0].top]

    red, red_again, stripes = [await first_token(i) for i in (RED, RED, BLUE_STRIPES)]
    assert red == red_again
    assert max(abs(a - b) for a, b in zip(red, stripes, strict=True)) > 1e-2


async def test_bad_images_and_image_scoring_are_input_errors(llava, text_llm):
    with pytest.raises(InputError) as err:
        await llava.generate(ask(ImagePart.from_bytes(b"not a png")))
    one_line(err)
    with pytest.raises(InputError):
        llava.sequence_logprobs_sync([ask(RED)], [" red"])
    assert llava.sequence_logprobs_sync([ask(None)], [" red"])[0].n_tokens >= 1
    with pytest.raises(InputError) as err:
        await text_llm.generate(ask(RED))
    assert "does not accept images" in one_line(err)


# --- the OpenAI-compatible server -------------------------------------------------------------


def client(llm: HFLLM, *, vision: bool = True) -> OpenAICompatLLM:
    """A client talking to the app in-process (httpx's ASGI transport: no socket, no thread)."""
    transport = httpx.ASGITransport(app=create_app(llm))
    return OpenAICompatLLM(
        "tiny", "http://app/v1", api_key="", transport=transport, supports_images=vision
    )


async def test_the_app_serves_images_usage_and_streams(llava, llava_dir):
    remote, config = client(llava), GenerateConfig(max_tokens=6, top_logprobs=2)
    direct = await llava.generate(ask(RED), config)
    served = await remote.generate(ask(RED), config)
    assert served.text == direct.text and served.usage == direct.usage
    assert [t.logprob for t in served.logprobs] == [t.logprob for t in direct.logprobs]
    chunks = [c async for c in remote.stream_chunks(ask(RED), GenerateConfig(max_tokens=6))]
    assert "".join(c.text for c in chunks) == direct.text
    assert chunks[-1].usage == direct.usage
    assert await remote.list_models() == [llava_dir.name]
    await remote.aclose()


async def test_the_app_answers_failures_with_their_classes(text_llm, llava):
    with pytest.raises(BadRequestError) as err:
        await client(text_llm).generate(ask(RED))  # the client believes; the model refuses
    assert "does not accept images" in one_line(err)
    with pytest.raises(BadRequestError):
        await client(llava).generate("Hi", GenerateConfig(json_schema={"type": "object"}))
    transport = httpx.ASGITransport(app=create_app(llava))
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        part = {"type": "image_url", "image_url": {"url": "http://x/a.png"}}
        bad_url = {"messages": [{"role": "user", "content": [part]}]}
        response = await http.post("/v1/chat/completions", json=bad_url)
        assert response.status_code == 400 and "data: URL" in response.json()["error"]["message"]
        response = await http.post("/v1/chat/completions", content=b"{not json")
        assert response.status_code == 400
        assert (await http.get("/health")).json() == {"status": "ok"}


async def test_a_real_server_for_an_hf_vision_model(llava_dir, llava):
    from lmforge.llm.serve import spawned_server

    config = GenerateConfig(max_tokens=6)
    direct = await llava.generate(ask(BLUE_STRIPES), config)
    with spawned_server(f"hf:{llava_dir}", startup_timeout=60) as url:
        remote = get_llm(f"openai:{llava_dir.name}@{url}#vision", cache=False)
        served = await remote.generate(ask(BLUE_STRIPES), config)
        await remote.aclose()
    assert served.text == direct.text
    assert served.usage.prompt_tokens == direct.usage.prompt_tokens
    text_only = (await llava.generate(ask(None), config)).usage.prompt_tokens
    assert served.usage.prompt_tokens == text_only + IMAGE_TOKENS

"""Image-text models (LLaVA, Qwen2-VL, SmolVLM ...) for the hf backend.

A transformers folder whose config has a ``vision_config`` is loaded with its processor, which
owns the tokenizer and the chat template; :class:`lmforge.llm.hf.HFLLM` then takes messages with
images (``supports_images``). The processor's chat template gets an image placeholder per image,
and the processor expands each into as many image tokens as the vision tower yields.
torch, transformers and PIL are imported inside functions so that importing this module stays
cheap.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from lmforge.errors import ConfigError, InputError

from .types import ImagePart, Message, TextPart

__all__ = [
    "is_image_text_config",
    "load_image_text",
    "pil_image",
    "processor_chat_text",
    "processor_inputs",
    "template_parts",
]


def is_image_text_config(config: Any) -> bool:
    return getattr(config, "vision_config", None) is not None


def load_image_text(folder: Path, device: str, dtype: Any) -> tuple[Any, Any]:
    """An image-text-to-text model and its processor (which owns the tokenizer and the chat
    template), the model moved to ``device``."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(folder, local_files_only=True)
    model = AutoModelForImageTextToText.from_pretrained(folder, dtype=dtype, local_files_only=True)
    return model.to(device), processor


def template_parts(message: Message) -> list[dict[str, str]]:
    """Content as processor chat templates expect it: always a list of typed parts, an image
    being a bare ``{"type": "image"}`` placeholder (the pixels go to the processor separately)."""
    if isinstance(message.content, str):
        return [{"type": "text", "text": message.content}]
    return [
        {"type": "text", "text": part.text} if isinstance(part, TextPart) else {"type": "image"}
        for part in message.content
    ]


def pil_image(part: ImagePart) -> Any:
    """Decode one image; a broken one is the caller's input error, not a model failure."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(part.to_bytes())) as image:
            return image.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise InputError(f"cannot decode image ({part.mime}): {err}") from None


def processor_chat_text(processor: Any, messages: list[Message]) -> str:
    """The processor's chat template applied to messages, with an image placeholder per image."""
    chat = [{"role": m.role, "content": template_parts(m)} for m in messages]
    return processor.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)


def processor_inputs(
    processor: Any, tokenizer: Any, text: str | None, messages: list[Message], *, spec: str
) -> dict[str, Any]:
    """Ids, mask and pixel values from the processor, which expands each image placeholder
    into as many image tokens as the vision tower yields (so usage counts them)."""
    if text is None:
        raise ConfigError(f"{spec}: an image-text model needs a chat template")
    images = [pil_image(part) for m in messages for part in m.images]
    # the rule transformers' own processor chat path follows: a BOS in the template is final
    bos = tokenizer.bos_token
    special = not (bos and text.startswith(bos))
    kwargs = {"return_tensors": "pt", "add_special_tokens": special}
    try:
        return dict(processor(text=text, images=images or None, **kwargs))
    except ValueError as err:  # placeholders and images disagree, an odd image size ...
        raise InputError(f"{spec}: {str(err).splitlines()[0]}") from None

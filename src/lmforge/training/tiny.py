"""Tiny models and a tiny tokenizer, built in-process, for tests.

Tests of training, distillation, reward scoring and the ``hf:`` backend need a real transformers
model and a real tokenizer, but nothing may come from a hub at run time, and a 135M-parameter
model is too slow to train in CI. So these builders make a random-initialised Llama of a few
hundred thousand parameters and a byte-level BPE tokenizer trained in milliseconds on the short
text below. The tokenizer is byte-level, so every string (any language, any symbol) round-trips;
it carries a ChatML chat template, so chat code paths run exactly as with a real instruct model.
:func:`save_tiny_llava` adds a LLaVA-shaped image-text model (a tiny CLIP vision tower in front of
the same tiny Llama) with its processor, so image paths run end to end without a download.

torch and transformers are imported inside the functions: importing ``lmforge.training`` stays
cheap for code that only wants the names.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import (
        LlamaConfig,
        LlamaForCausalLM,
        LlamaForSequenceClassification,
        LlavaConfig,
        PreTrainedTokenizerFast,
    )

#: Special tokens of the tiny tokenizer, in id order (ids 0, 1, 2).
PAD_TOKEN = "<|pad|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (PAD_TOKEN, IM_START, IM_END)
#: Placeholder the tiny LLaVA's processor expands into one token per image patch.
IMAGE_TOKEN = "<image>"

#: The same ChatML layout SmolLM2 and Qwen use, so prompts look like a real instruct model's.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

#: ChatML for content given as typed parts (what processors' templates receive): an image part
#: becomes one image placeholder, text parts follow as they are; plain string content still works.
CHATML_VISION_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{{ '<image>' }}"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# A few KB of varied text: enough merges for realistic multi-character tokens, small enough to
# train in milliseconds. Content is arbitrary; only its variety matters.
_SENTENCES = (
    "The capital of France is Paris, and the capital of Italy is Rome.",
    "A language model predicts the next token from the tokens before it.",
    "Write a short poem about the sea, the wind and the morning light.",
    'Answer in JSON: {"name": "Ada", "age": 36, "skills": ["math", "code"]}.',
    "def add(a, b):\n    return a + b\n\nprint(add(2, 3))",
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Students asked the teacher why the sky is blue during the day.",
    "Score: 4 - the answer is correct but misses one of the constraints.",
    "1. Read the question. 2. Think step by step. 3. Give the final answer.",
    "Water boils at 100 degrees Celsius at sea level; it freezes at 0.",
    "Reward models compare a chosen response with a rejected response.",
    "Distillation trains a small student to match a large teacher's logits.",
    "Le chat dort sur le canapé. Der Hund läuft im Park. El sol brilla.",
    "今天天气很好，我们去公园散步吧。机器学习是人工智能的一个分支。",
    "Every record has a stable id, so a rerun skips work already done.",
    "The system prompt sets the rules; the user asks and the assistant answers.",
    'She said: "Please cite the sources [1] and [2] in the summary."',
)


def _corpus() -> list[str]:
    """Deterministic variations of the sentences so that merges see each pair many times."""
    lines = list(_SENTENCES)
    for shift in range(1, 4):
        lines += [
            " ".join(_SENTENCES[(i + shift) % len(_SENTENCES)].split()[::-1])
            for i in range(len(_SENTENCES))
        ]
    lines += [s.lower() for s in _SENTENCES] + [s.upper() for s in _SENTENCES]
    return lines


@lru_cache(maxsize=4)
def _tokenizer_json(vocab_size: int) -> str:
    """Train once per process; callers get a fresh tokenizer object built from the JSON."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer=trainer)
    return tok.to_str()


def tiny_tokenizer(vocab_size: int = 512) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer with ChatML template; ``<|im_end|>`` is EOS, ``<|pad|>`` pads.

    The vocabulary can end up smaller than ``vocab_size`` when the corpus runs out of merges; use
    ``len(tokenizer)`` as the model's vocabulary size.
    """
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(_tokenizer_json(vocab_size)),
        pad_token=PAD_TOKEN,
        eos_token=IM_END,
        bos_token=None,
        unk_token=None,
        additional_special_tokens=[IM_START],
        chat_template=CHATML_TEMPLATE,
        padding_side="right",
        model_max_length=512,
    )


def tiny_llama_config(
    vocab_size: int | None = None,
    hidden: int = 64,
    layers: int = 2,
    heads: int = 4,
    *,
    init_std: float = 0.02,
    max_positions: int = 512,
) -> LlamaConfig:
    """The config behind :func:`tiny_llama`; token ids match :func:`tiny_tokenizer`."""
    from transformers import LlamaConfig

    if vocab_size is None:
        vocab_size = len(tiny_tokenizer())
    pad_id, eos_id = SPECIAL_TOKENS.index(PAD_TOKEN), SPECIAL_TOKENS.index(IM_END)
    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_positions,
        initializer_range=init_std,
        tie_word_embeddings=True,
        pad_token_id=pad_id,
        eos_token_id=eos_id,
        bos_token_id=None,
    )


def _seeded_init(cls, config, seed: int):
    """Build under a forked RNG so building a model never shifts the caller's random stream."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = cls(config)
    return model.eval()


def tiny_llama(
    vocab_size: int | None = None,
    hidden: int = 64,
    layers: int = 2,
    heads: int = 4,
    seed: int = 0,
    *,
    init_std: float = 0.02,
) -> LlamaForCausalLM:
    """A random-initialised causal Llama; the same seed always gives the same weights.

    ``vocab_size`` defaults to the tiny tokenizer's; pass the teacher's vocabulary size to build
    a student for logit distillation. A larger ``init_std`` (e.g. 0.2) makes the output depend
    strongly on the context, which makes numeric tests able to catch masking mistakes.
    """
    from transformers import LlamaForCausalLM

    config = tiny_llama_config(vocab_size, hidden, layers, heads, init_std=init_std)
    return _seeded_init(LlamaForCausalLM, config, seed)


def tiny_sequence_classifier(
    vocab_size: int | None = None,
    hidden: int = 64,
    layers: int = 2,
    heads: int = 4,
    seed: int = 0,
    *,
    num_labels: int = 1,
    init_std: float = 0.02,
) -> LlamaForSequenceClassification:
    """A random reward-model-shaped classifier (one raw logit per sequence by default).

    ``pad_token_id`` is set in the config because the classifier reads the logit at the last
    non-pad token; without it transformers refuses batches of more than one sequence.
    """
    from transformers import LlamaForSequenceClassification

    config = tiny_llama_config(vocab_size, hidden, layers, heads, init_std=init_std)
    config.num_labels = num_labels
    return _seeded_init(LlamaForSequenceClassification, config, seed)


def save_tiny_model(directory: str | Path, *, seed: int = 0, init_std: float = 0.02) -> Path:
    """Write a tiny causal model and its tokenizer so that ``hf:DIRECTORY`` loads them."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tiny_llama(seed=seed, init_std=init_std).save_pretrained(directory)
    tiny_tokenizer().save_pretrained(directory)
    return directory


def tiny_llava_config(
    vocab_size: int,
    image_token_id: int,
    *,
    image_size: int = 32,
    patch_size: int = 8,
    init_std: float = 0.2,
    max_positions: int = 512,
) -> LlavaConfig:
    """A LLaVA config: a 2-layer CLIP vision tower (``(image_size / patch_size) ** 2`` patch
    features, CLS dropped) projected into the tiny Llama's embedding space."""
    from transformers import CLIPVisionConfig, LlavaConfig

    text = tiny_llama_config(vocab_size, init_std=init_std, max_positions=max_positions)
    vision = CLIPVisionConfig(
        image_size=image_size,
        patch_size=patch_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        projection_dim=32,
        initializer_range=init_std,
    )
    return LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=image_token_id,
        image_seq_length=(image_size // patch_size) ** 2,
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,  # every vision layer shapes the output
        pad_token_id=text.pad_token_id,
    )


def save_tiny_llava(
    directory: str | Path,
    *,
    seed: int = 0,
    image_size: int = 32,
    patch_size: int = 8,
    init_std: float = 0.2,
    max_positions: int = 512,
) -> Path:
    """Write a random LLaVA-style image-text model and its processor so that ``hf:DIRECTORY``
    loads it as a vision model (``supports_images``); well under 1 MB, loads in a fraction of a
    second.

    Each image becomes ``(image_size / patch_size) ** 2`` tokens (16 by default) in the prompt,
    and the large ``init_std`` makes the logits depend visibly on the pixels, so tests can see
    that an image reached the model.
    """
    from transformers import LlavaForConditionalGeneration, LlavaProcessor
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = tiny_tokenizer()
    tokenizer.add_special_tokens({"additional_special_tokens": [IM_START, IMAGE_TOKEN]})
    tokenizer.chat_template = CHATML_VISION_TEMPLATE
    config = tiny_llava_config(
        len(tokenizer),
        tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
        image_size=image_size,
        patch_size=patch_size,
        init_std=init_std,
        max_positions=max_positions,
    )
    tokenizer.model_max_length = max_positions
    # the PIL image processor: the torchvision one needs a package these machines lack
    images = CLIPImageProcessorPil(
        size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size}
    )
    processor = LlavaProcessor(
        image_processor=images,
        tokenizer=tokenizer,
        patch_size=patch_size,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # CLIP's CLS, which the "default" strategy drops again
        chat_template=CHATML_VISION_TEMPLATE,
        image_token=IMAGE_TOKEN,
    )
    _seeded_init(LlavaForConditionalGeneration, config, seed).save_pretrained(directory)
    processor.save_pretrained(directory)
    return directory

"""A tiny Stable Diffusion pipeline with seeded random weights, built once on this machine.

No diffusion weights ship in any PyPI package, so the offline default ``tiny-sd`` is made
here: a UNet, a VAE and a CLIP text encoder of under 1M parameters each, a byte-level CLIP
tokenizer built from a vocabulary dict (256 byte symbols, the same 256 ending a word, and
the two specials; no merges), and an Euler scheduler with SD 1.x's settings. It is saved
with ``save_pretrained`` into ``models_dir()/tiny-sd`` and then loaded by exactly the code
that loads a real checkpoint (``nodes.models._diffusion``), so the whole path is
exercised. The images are noise-like, but reproducible: the weights come from a fixed seed
(inside ``torch.random.fork_rng``, so the caller's random state is left alone), which
makes the pipeline identical across processes and machines.

The folder appears atomically: built in a temporary folder next to it and renamed into
place, so a crashed build or two processes building at once never leave a half-written
model. A marker file carries the recipe version; a folder of an older recipe is rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from nodes.runtime.paths import data_dir
from nodes.runtime.sources import models_dir

TINY_SD = "tiny-sd"
RECIPE = 1
SEED = 0
IMAGE_SIZE = 64
"""The pipeline's native size: sample_size 8 latents times the VAE's factor of 8."""
MARKER = "genaisys_tiny.json"
RECIPE_TENSORS = 424
RECIPE_PARAMETERS = 910_243
"""What recipe 1's UNet, VAE and text encoder hold together, for an estimate before the
pipeline is built (the model tests check them against a built one)."""

_BUILD_LOCK = threading.Lock()


def tiny_sd_path(folder: Path | None = None) -> Path:
    """The folder of the tiny pipeline, built on first use."""
    target = folder or models_dir() / TINY_SD
    if _is_current(target):
        return target
    with _BUILD_LOCK:
        if not _is_current(target):
            _build_into(target)
    return target


def is_built(folder: Path | None = None) -> bool:
    return _is_current(folder or models_dir() / TINY_SD)


def planned_path() -> Path:
    """Where the tiny pipeline is or will be built, found without making any folder."""
    return data_dir() / "models" / TINY_SD


def _is_current(folder: Path) -> bool:
    try:
        marker = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return marker.get("recipe") == RECIPE and (folder / "model_index.json").is_file()


def _build_into(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        pipe = build_tiny_sd()
        pipe.save_pretrained(str(tmp), safe_serialization=True)
        (tmp / MARKER).write_text(json.dumps({"recipe": RECIPE, "seed": SEED, "made_by": "genaisys"}))
        if target.exists():  # an older recipe: move it aside, then swap the new one in
            old = target.parent / f".{target.name}.{uuid.uuid4().hex}.old"
            os.replace(target, old)
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            if not _is_current(target):  # not another process winning the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_tiny_sd(seed: int = SEED) -> Any:
    """A ``StableDiffusionPipeline`` of seeded random weights, on the CPU in float32."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    vocab = byte_vocab()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        unet = UNet2DConditionModel(
            sample_size=IMAGE_SIZE // 8, in_channels=4, out_channels=4, layers_per_block=1,
            block_out_channels=(32, 64), down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32,
            attention_head_dim=8, norm_num_groups=16,
        )
        vae = AutoencoderKL(
            in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1,
            down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
            block_out_channels=(8, 16, 16, 16), norm_num_groups=8, sample_size=IMAGE_SIZE,
        )
        text_encoder = CLIPTextModel(CLIPTextConfig(
            vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, max_position_embeddings=77, projection_dim=32,
            bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"],
            pad_token_id=vocab["<|endoftext|>"],
        ))
    scheduler = EulerDiscreteScheduler(
        num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        steps_offset=1, timestep_spacing="leading",
    )
    return StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )


def byte_vocab() -> dict[str, int]:
    """CLIP's byte-level alphabet as a vocabulary: every byte alone, every byte ending a
    word (``</w>``), then the start and end tokens. With no merges, a word is spelled out."""
    symbols = list(_bytes_to_unicode().values())
    vocab: dict[str, int] = {}
    for suffix in ("", "</w>"):
        for symbol in symbols:
            vocab[symbol + suffix] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return vocab


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible map of the 256 bytes to printable characters."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, codes), strict=True))

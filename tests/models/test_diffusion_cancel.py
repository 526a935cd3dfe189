"""A cancel stops Stable Diffusion inside a step or a decode, not after it, and a long step
keeps the canvas informed. On the tiny pipeline, on the CPU.

At 1536x1536 one tiny-sd step takes tens of seconds on a 2-core CPU (its self-attention
over 36,864 latent positions is most of it), and decoding 2048x2048 latents takes seconds,
so a cancel taken between steps is plainly told apart from one taken inside: the first
sends the step's end event and needs most of a step, the second neither. On a GPU a step
is milliseconds, so these tests run on the CPU only.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from app.engine.context import CancelToken
from app.engine.executor import Executor
from nodes.api import Context, Node, NodeCancelled, Output
from nodes.registry import Registry, discover

pytestmark = pytest.mark.slow

BIG = 1536
"""One step at this size is tens of seconds here, several even on a fast CPU."""
STOPPED_WITHIN_S = 10.0
"""From the cancel to the run's end: a slice of attention is ~0.5 s here, a step ~35 s."""
FALLBACK_S = 8.0
"""Without progress from inside the step (the old code), cancel this long after the start."""


class LatentSource(Node):
    """Seeded random latents of a 2048x2048 image, for the VAE decoder alone."""

    type_id = "test.latent_source"
    inline = True
    outputs = (Output("latent", "Latent"),)

    def run(self, ctx: Context) -> dict[str, Any]:
        import torch

        generator = torch.Generator("cpu").manual_seed(0)
        latents = torch.randn((1, 4, 256, 256), generator=generator)
        return {
            "latent": {"latents": latents, "model": "diffusion:tiny-sd", "scaling_factor": 0.18215}
        }


@pytest.fixture(scope="module")
def registry() -> Registry:
    from nodes.runtime.device import pick_device

    if pick_device() != "cpu":
        pytest.skip("a diffusion step is long enough to cancel inside only on a CPU")
    return discover().extend([LatentSource])


def graph(node: dict[str, Any], port: str = "image") -> dict[str, Any]:
    source = node["id"]
    nodes = [{"params": {}, **node}, {"id": "out", "type": "io.image_output", "params": {}}]
    edges = [
        {"id": "e1", "source": source, "source_port": port, "target": "out", "target_port": "value"}
    ]
    if node["type"] == "models.vae_decoder":
        nodes.append({"id": "lat", "type": "test.latent_source", "params": {}})
        edges.append(
            {
                "id": "e0",
                "source": "lat",
                "source_port": "latent",
                "target": source,
                "target_port": "latent",
            }
        )
    return {"schema": "genaisys.graph/1", "nodes": nodes, "edges": edges}


def text_to_image(size: int, steps: int, seed: int = 1) -> dict[str, Any]:
    params = {"prompt": "a red fox", "steps": steps, "width": size, "height": size, "seed": seed}
    return graph({"id": "t2i", "type": "models.text_to_image", "params": params})


def assert_pipeline_is_clean() -> None:
    """No hook and no sliced attention stays on the cached pipeline after a run."""
    from nodes.models._diffusion import load_diffusion

    pipe = load_diffusion("tiny-sd").pipe
    for model in (pipe.unet, pipe.vae):
        assert not any(m._forward_pre_hooks for m in model.modules())
        assert {type(p).__name__ for p in model.attn_processors.values()} == {"AttnProcessor2_0"}


class Canceller:
    """Cancels the run once, from another thread (as the API does), and notes when."""

    def __init__(self) -> None:
        self.token = CancelToken()
        self.at: float | None = None
        self._lock = threading.Lock()
        self.timer: threading.Timer | None = None

    def cancel(self) -> None:
        with self._lock:
            if self.at is None:
                self.at = time.monotonic()
                self.token.cancel()

    def later(self, seconds: float) -> None:
        self.timer = threading.Timer(seconds, self.cancel)
        self.timer.start()


def test_a_long_step_reports_progress_and_stops_soon_after_a_cancel(registry: Registry) -> None:
    Executor(registry).run(text_to_image(64, 1))  # loaded: the run below is all steps
    canceller = Canceller()
    inside: list[Any] = []
    events: list[Any] = []

    def on_event(event: Any) -> None:
        events.append(event)
        if event.type == "node_started" and event.node_id == "t2i":
            canceller.later(FALLBACK_S)
        if event.type == "node_progress" and event.data.get("message", "").startswith("step 1/2,"):
            inside.append(event)
            if len(inside) == 2:
                threading.Thread(target=canceller.cancel).start()

    result = Executor(registry).run(
        text_to_image(BIG, 2), on_event=on_event, cancel=canceller.token
    )
    ended = time.monotonic()
    assert canceller.timer is not None
    canceller.timer.cancel()
    assert canceller.at is not None
    assert result.status == "cancelled" and result.nodes["t2i"].status == "cancelled"
    assert ended - canceller.at < STOPPED_WITHIN_S, (
        f"stopped {ended - canceller.at:.1f} s after the cancel"
    )
    step_ends = [
        e
        for e in events
        if e.type == "node_progress" and e.data.get("message") in ("step 1/2", "step 2/2")
    ]
    assert not step_ends, "the cancel waited for the end of the step"
    assert len(inside) >= 2, "no progress from inside the step"
    fractions = [e.data["fraction"] for e in inside]
    assert all(0 < f < 0.5 for f in fractions) and fractions == sorted(fractions)
    gaps = [b.ts - a.ts for a, b in zip(inside, inside[1:], strict=False)]
    assert all(gap >= 0.9 for gap in gaps), gaps  # throttled to about one a second
    assert_pipeline_is_clean()


def test_the_vae_decoder_stops_inside_the_decoding(registry: Registry) -> None:
    canceller = Canceller()

    def on_event(event: Any) -> None:
        if event.type == "node_started" and event.node_id == "vae":
            canceller.later(0.3)  # decoding 2048x2048 takes seconds on any CPU

    document = graph({"id": "vae", "type": "models.vae_decoder"})
    result = Executor(registry).run(document, on_event=on_event, cancel=canceller.token)
    ended = time.monotonic()
    assert canceller.at is not None
    assert result.nodes["vae"].status == "cancelled", "the decoding ran to its end"
    assert result.status == "cancelled"
    assert ended - canceller.at < STOPPED_WITHIN_S
    assert_pipeline_is_clean()


def test_sliced_attention_gives_the_pipelines_own_pixels(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 520x520 (65x65 latents: an odd number of rows) both the UNet's and the VAE's
    attention are sliced, and the image is bitwise diffusers' own call's."""
    from nodes.models._diffusion import generator, load_diffusion, session
    from nodes.runtime import interruptible

    monkeypatch.setattr(interruptible, "ATTENTION_SLICE_SCORES", 10**7)
    cuts: dict[int, int] = {}  # scores per query row (batch x heads x keys) -> slices
    real = interruptible.slices

    def spy(rows: int, per_row: int, budget: int) -> list[tuple[int, int]]:
        cuts[per_row] = len(out := real(rows, per_row, budget))
        return out

    monkeypatch.setattr(interruptible, "slices", spy)
    result = Executor(registry).run(text_to_image(520, 2, seed=5))
    assert result.status == "succeeded"
    unet, vae = 2 * 8 * 4225, 1 * 1 * 4225  # batch x heads x keys of their self-attention
    assert cuts.get(unet, 0) > 1 and cuts.get(vae, 0) > 1, cuts
    sd = load_diffusion("tiny-sd")
    with session(sd) as pipe:
        direct = pipe(
            prompt="a red fox",
            negative_prompt="",
            num_inference_steps=2,
            guidance_scale=7.5,
            width=520,
            height=520,
            generator=generator(5),
        ).images[0]
    assert np.array_equal(np.asarray(result.outputs["out"]), np.asarray(direct))
    assert_pipeline_is_clean()


def test_a_cancel_inside_one_attention_stops_it_between_slices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import torch
    import torch.nn.functional as F
    from diffusers.models.attention_processor import Attention, AttnProcessor2_0

    from app.engine.context import RunContext
    from nodes.runtime.interruptible import interruptible

    token = CancelToken()
    ctx = RunContext("n", "run", lambda *a, **k: None, token)
    attn = Attention(query_dim=8, heads=1, dim_head=8)
    hidden = torch.randn(1, 4096, 8)
    whole = attn(hidden)
    calls: list[int] = []
    sdpa = F.scaled_dot_product_attention

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            token.cancel()
        return sdpa(*args, **kwargs)

    with interruptible(ctx, {"step": attn}, slice_scores=768 * 4096):
        assert torch.equal(attn(hidden), whole)  # five slices of 768+ rows, bitwise the whole
        monkeypatch.setattr(F, "scaled_dot_product_attention", counted)
        with pytest.raises(NodeCancelled):
            attn(hidden)
    assert len(calls) == 2, "slices went on after the cancel"
    assert type(attn.processor) is AttnProcessor2_0 and not attn._forward_pre_hooks


@pytest.mark.parametrize(
    "shape", [(2, 8, 4225, 4, 4225), (1, 1, 16641, 8, 16641), (2, 8, 9216, 40, 77)]
)
def test_slices_give_bitwise_the_whole_attention(shape: tuple[int, ...]) -> None:
    import torch
    import torch.nn.functional as F

    from nodes.runtime.interruptible import slices

    batch, heads, rows, dim, keys = shape
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(batch, heads, rows, dim, generator=gen)
    k, v = (torch.randn(batch, heads, keys, dim, generator=gen) for _ in range(2))
    whole = F.scaled_dot_product_attention(q, k, v)
    for budget in (1, 10**6, 10**7):
        cut = slices(rows, batch * heads * keys, budget)
        assert cut[0][0] == 0 and cut[-1][1] == rows and len(cut) > 1
        parts = torch.cat(
            [F.scaled_dot_product_attention(q[:, :, a:b], k, v) for a, b in cut], dim=2
        )
        assert torch.equal(parts, whole), (budget, cut)

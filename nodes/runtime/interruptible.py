"""Stop a torch model inside its forward pass when the run is cancelled, and say how far it is.

One denoising step of a large image, or one VAE decode, is a single call that can run for
minutes on a CPU. Polling between steps (diffusers' step callback) leaves a cancel waiting
that long and the canvas silent. ``interruptible(ctx, parts)`` puts a forward pre-hook on
every convolution and linear layer of the given models for the length of one ``with`` block:
each hook checks the run's cancellation (NodeCancelled leaves the forward pass at once) and,
at most once per ``interval_s``, reports progress from inside the step. The hooks come off when the block
ends, whatever happens, so a pipeline cached between runs never keeps a finished run's context.

One op can still be long: self-attention over the latents of a 2048x2048 image is a single
``scaled_dot_product_attention`` call of tens of seconds on a CPU. While the hooks are on,
diffusers' default attention on the CPU is computed in slices of query rows with a check
between slices. Each row of attention depends only on its own query, and slices cut on the
kernel's own block boundaries give bitwise the same output (the tests compare images). On an
accelerator kernels are queued asynchronously, so the hooks stop the queueing and attention
runs whole, as before.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from typing import Any

from nodes.api import Context

REPORT_INTERVAL_S = 1.0
"""Progress from inside a step at most this often: enough for the canvas, nothing for a GPU."""
ATTENTION_SLICE_SCORES = 2**27
"""Attention scores (batch x heads x query rows x keys) one slice computes: ~0.1-0.5 s on a CPU."""

SLICE_ALIGN = 256
SLICE_MIN = 768
"""Slices start at multiples of 256 rows and hold at least 768: PyTorch's CPU attention
kernel works in blocks of 256 query rows from 768 rows up, so every slice is cut into the
very blocks the whole call would be, and gives bitwise its rows (a test checks this)."""


Part = Any  # a torch.nn.Module, or a tuple of them


class Watch:
    """What the hooks share: the run's context, the steps done, how far the pass in hand is."""

    def __init__(
        self, ctx: Context, calls: Mapping[str, int], steps: int | None, interval_s: float
    ) -> None:
        self.ctx = ctx
        self.steps = steps
        self.interval_s = interval_s
        self.stepped = next(iter(calls), "")
        """The first part is the one that runs once a step (the UNet); the others run once."""
        self.expected = dict(calls)
        """Hooked calls one pass of each part makes: its hooked modules until a step is seen."""
        self.done = 0
        self.part = ""
        self.calls = 0
        self.op = 0.0
        """How far the module entered last is, when it says so (a sliced attention)."""
        self.step_began: float | None = None
        self.step_s: float | None = None
        """How long the last whole step took: the next one is measured against it."""
        self.last = time.monotonic()

    def begin(self, part: str) -> None:
        """The modules of another part start running (the VAE after the UNet, say)."""
        self.part, self.calls = part, 0
        if part == self.stepped and self.step_began is None:
            self.step_began = time.monotonic()

    def poll(self, op: float) -> None:
        """Inside one long op, ``op`` of the way through: stop if cancelled, else maybe report."""
        self.ctx.check_cancelled()
        self.op = op
        if time.monotonic() - self.last >= self.interval_s:
            self.report()

    def step_ended(self, done: int) -> None:
        """The step callback saw step ``done`` finish: learn how long a pass is."""
        now = time.monotonic()
        if self.part == self.stepped and self.calls:
            self.expected[self.part] = self.calls
        if self.step_began is not None:
            self.step_s = now - self.step_began
        self.done, self.part, self.calls, self.step_began = done, "", 0, None
        self.last = now

    def report(self) -> None:
        now = self.last = time.monotonic()
        within = min(self._within(now), 0.99)
        percent = f"{within:.0%}"
        if self.steps and self.part == self.stepped:
            step = min(self.done + 1, self.steps)
            self.ctx.progress(
                (self.done + within) / self.steps, f"step {step}/{self.steps}, {percent}"
            )
        else:
            fraction = min(self.done / self.steps, 1.0) if self.steps else within
            self.ctx.progress(fraction, f"{self.part}, {percent}")

    def _within(self, now: float) -> float:
        """How far the pass in hand is: by the clock once a whole step was timed, else by
        the modules it has entered."""
        if self.part == self.stepped and self.step_s and self.step_began is not None:
            return (now - self.step_began) / self.step_s
        return (self.calls - 1 + self.op) / max(1, self.expected.get(self.part, 1))


@contextlib.contextmanager
def interruptible(
    ctx: Context,
    parts: Mapping[str, Part],
    *,
    steps: int | None = None,
    interval_s: float | None = None,
    slice_scores: int | None = None,
) -> Iterator[Watch]:
    """Hooks on the heavy modules of ``parts`` (label -> module or tuple of modules) for the
    block; the first part runs once per step of ``steps``. Yields the Watch, whose
    ``step_ended`` the step callback calls. Raises NodeCancelled out of the forward pass.
    Defaults: REPORT_INTERVAL_S between reports, ATTENTION_SLICE_SCORES per attention slice."""
    slice_scores = slice_scores or ATTENTION_SLICE_SCORES
    interval_s = REPORT_INTERVAL_S if interval_s is None else interval_s

    groups = {label: part if isinstance(part, tuple) else (part,) for label, part in parts.items()}
    hooked = {
        label: [sub for m in group for sub in m.modules() if _does_work(sub)]
        for label, group in groups.items()
    }
    watch = Watch(ctx, {label: len(subs) for label, subs in hooked.items()}, steps, interval_s)
    handles: list[Any] = []
    swapped: list[tuple[Any, Any]] = []
    try:
        for label, subs in hooked.items():
            hook = _hook(watch, label)
            handles += [sub.register_forward_pre_hook(hook) for sub in subs]
            for module in groups[label]:
                swapped += _slice_attention(module, watch, slice_scores)
        yield watch
    finally:
        for handle in handles:
            handle.remove()
        for attn, processor in swapped:
            attn.processor = processor


def _does_work(module: Any) -> bool:
    """Modules with a weight matrix or kernel (convolutions, linear layers) are where the
    time goes; between two of them run only cheap ops (norms, activations, additions), so
    hooking just these puts a check before every heavy op at under half the cost of hooking
    every module."""
    weight = getattr(module, "weight", None)
    return getattr(weight, "ndim", 0) >= 2


def _hook(watch: Watch, label: str) -> Any:
    check, clock = watch.ctx.check_cancelled, time.monotonic

    def pre_hook(module: Any, args: Any) -> None:  # before every heavy op: kept short
        check()
        if watch.part != label:
            watch.begin(label)
        watch.calls += 1
        watch.op = 0.0
        if clock() - watch.last >= watch.interval_s:
            watch.report()

    return pre_hook


def _slice_attention(model: Any, watch: Watch, slice_scores: int) -> list[tuple[Any, Any]]:
    """Put SlicedAttention on the CPU attention modules of ``model``; return what to restore."""
    try:
        from diffusers.models.attention_processor import Attention, AttnProcessor2_0
    except ImportError:  # not a diffusers model: the hooks alone
        return []
    swapped: list[tuple[Any, Any]] = []
    for module in model.modules():
        if not isinstance(module, Attention):
            continue
        # diffusers annotates ``processor`` as ``AttnProcessor``, but it holds any processor class
        processor: Any = module.processor
        if type(processor) is not AttnProcessor2_0:
            continue  # another processor (xformers, IP-adapter, ...) is left as it is
        if next(module.parameters()).device.type != "cpu":
            continue
        swapped.append((module, processor))
        module.processor = SlicedAttention(processor, watch, slice_scores)  # type: ignore[assignment]  # see above
    return swapped


class SlicedAttention:
    """diffusers' ``AttnProcessor2_0``, with the attention itself computed a slice of query
    rows at a time and the run's cancellation checked between slices. Small attentions, and
    any call this does not handle (masks, spatial norms, extra arguments), go to the original
    processor unchanged."""

    def __init__(self, original: Any, watch: Watch, slice_scores: int) -> None:
        self.original = original
        self.watch = watch
        self.slice_scores = slice_scores

    def __call__(
        self,
        attn: Any,
        hidden_states: Any,
        encoder_hidden_states: Any = None,
        attention_mask: Any = None,
        temb: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        batch, queries = hidden_states.shape[0], _tokens(hidden_states)
        keys = queries if encoder_hidden_states is None else encoder_hidden_states.shape[1]
        plain = args or kwargs or attention_mask is not None or attn.spatial_norm is not None
        if (
            plain
            or batch * attn.heads * queries * keys <= self.slice_scores
            or queries < 2 * SLICE_MIN
        ):
            return self.original(
                attn, hidden_states, encoder_hidden_states, attention_mask, temb, *args, **kwargs
            )
        return self._sliced(attn, hidden_states, encoder_hidden_states)

    def _sliced(self, attn: Any, hidden_states: Any, encoder_hidden_states: Any) -> Any:
        """``AttnProcessor2_0.__call__`` step for step (diffusers 0.3x-0.4x) but for the slices."""
        import torch.nn.functional as F

        residual = hidden_states
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            batch, channel, height, width = hidden_states.shape
            hidden_states = hidden_states.view(batch, channel, height * width).transpose(1, 2)
        batch = hidden_states.shape[0]
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        query = attn.to_q(hidden_states)
        if encoder_hidden_states is None:
            encoder_hidden_states = hidden_states
        elif attn.norm_cross:
            encoder_hidden_states = attn.norm_encoder_hidden_states(encoder_hidden_states)
        key = attn.to_k(encoder_hidden_states)
        value = attn.to_v(encoder_hidden_states)
        head_dim = key.shape[-1] // attn.heads
        query = query.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        key = key.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        value = value.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        if attn.norm_q is not None:
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)
        out = query.new_empty((*query.shape[:3], value.shape[-1]))
        rows = query.shape[2]
        for start, end in slices(rows, batch * attn.heads * key.shape[2], self.slice_scores):
            self.watch.poll(start / rows)
            out[:, :, start:end] = F.scaled_dot_product_attention(
                query[:, :, start:end], key, value, dropout_p=0.0, is_causal=False
            )
        hidden_states = (
            out.transpose(1, 2).reshape(batch, -1, attn.heads * head_dim).to(query.dtype)
        )
        hidden_states = attn.to_out[1](attn.to_out[0](hidden_states))  # linear projection, dropout
        if input_ndim == 4:
            hidden_states = hidden_states.transpose(-1, -2).reshape(batch, channel, height, width)
        if attn.residual_connection:
            hidden_states = hidden_states + residual
        return hidden_states / attn.rescale_output_factor


def slices(rows: int, scores_per_row: int, budget: int) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of query rows, about ``budget`` scores each, that cover ``rows``."""
    size = max(SLICE_MIN, budget // max(1, scores_per_row)) // SLICE_ALIGN * SLICE_ALIGN
    out, start = [], 0
    while start < rows:
        end = start + size
        if rows - end < SLICE_MIN:  # a short last slice would be cut differently: join it
            end = rows
        out.append((start, end))
        start = end
    return out


def _tokens(hidden_states: Any) -> int:
    """Query rows: height x width of a 4-d feature map, else the sequence length."""
    return (
        int(hidden_states.shape[2] * hidden_states.shape[3])
        if hidden_states.ndim == 4
        else int(hidden_states.shape[1])
    )

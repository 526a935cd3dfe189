"""Hooks for the schemathesis runs of ``test_api_fuzz`` (loaded through ``SCHEMATHESIS_HOOKS``).

- ``flatmap_body`` spoils about half of the generated JSON bodies with a shape Python's
  ``json`` reads but cannot write back — NaN, Infinity, a lone surrogate in a text or a key,
  nesting 100 deep — or with an empty key, at a place hypothesis picks;
- a JSON serializer that sends NaN and Infinity as the literals (``requests`` refuses them);
- ``before_call``/``after_call`` take the database's fingerprint around every request (one
  worker: nothing else runs in between), and the check ``db_unchanged_after_4xx`` fails any
  4xx answer after which it differs;
- at exit, what was sent and checked is written to ``STUDIO_FUZZ_STATS``, so the test can
  assert that every shape was really sent.

The server's data directory comes in ``STUDIO_DATA_DIR``.
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from db_fingerprint import fingerprint  # noqa: E402

DATA_DIR = Path(os.environ["STUDIO_DATA_DIR"])
STATS: Counter[str] = Counter()
_AROUND: dict[int, tuple[str, str]] = {}
"""id(case) -> (fingerprint before its last call, fingerprint after it)."""
_BEFORE: dict[int, str] = {}


def _nested(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = {"a": value}
    return value


BAD_VALUES = [float("nan"), float("inf"), float("-inf"), "\ud800", "x\udfffy", _nested(100)]
BAD_KEYS = ["\ud800", "k\udc80", ""]


def _slots(body: Any) -> list[Any]:
    """Every dict and list in ``body`` (a few hundred at most), the root first."""
    found, stack = [], [body]
    while stack and len(found) < 500:
        item = stack.pop()
        if isinstance(item, dict | list):
            found.append(item)
            stack.extend(item.values() if isinstance(item, dict) else item)
    return found


@st.composite
def _spoiled(draw: st.DrawFn, body: Any) -> Any:
    body = copy.deepcopy(body)
    slot = draw(st.sampled_from(_slots(body)))
    if isinstance(slot, dict) and draw(st.booleans()):
        key = draw(st.sampled_from(BAD_KEYS))
        slot[key] = draw(st.sampled_from([*BAD_VALUES, "fine", 1])) if key == "" else "fine"
    elif isinstance(slot, dict):
        keys = list(slot)
        key = draw(st.sampled_from(keys)) if keys and draw(st.booleans()) else "extra"
        slot[key] = draw(st.sampled_from(BAD_VALUES))
    elif slot and draw(st.booleans()):
        slot[draw(st.integers(0, len(slot) - 1))] = draw(st.sampled_from(BAD_VALUES))
    else:
        slot.append(draw(st.sampled_from(BAD_VALUES)))
    return body


@schemathesis.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    if not isinstance(body, dict | list):
        return st.just(body)
    return st.one_of(st.just(body), _spoiled(body))


@schemathesis.serializer("application/json")
def json_with_literals(ctx: Any, value: Any) -> bytes:
    """JSON as a careless client writes it: NaN and Infinity as literals, surrogates escaped."""
    if isinstance(value, bytes):
        return value
    return json.dumps(value, allow_nan=True, default=str).encode()


def shapes(body: Any) -> set[str]:
    """Which of the bad shapes ``body`` holds."""
    found: set[str] = set()
    stack: list[tuple[Any, int]] = [(body, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, float) and item != item:
            found.add("nan")
        elif isinstance(item, float) and item in (float("inf"), float("-inf")):
            found.add("infinity")
        elif isinstance(item, str) and any("\ud800" <= c <= "\udfff" for c in item):
            found.add("surrogate")
        elif isinstance(item, dict | list):
            if level >= 80:
                found.add("deep")
                continue
            if isinstance(item, dict):
                for key in item:
                    if key == "":
                        found.add("empty_key")
                    elif isinstance(key, str) and any("\ud800" <= c <= "\udfff" for c in key):
                        found.add("surrogate_key")
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return found


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    _BEFORE[id(case)] = fingerprint(DATA_DIR)


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    before = _BEFORE.pop(id(case), None)
    if before is not None:
        _AROUND[id(case)] = (before, fingerprint(DATA_DIR))
    sent = shapes(case.body) if isinstance(case.body, dict | list) else set()
    STATS["requests"] += 1
    for shape in sent:
        STATS[f"sent:{shape}"] += 1
        if 400 <= response.status_code < 500:
            STATS[f"4xx:{shape}"] += 1


@schemathesis.check
def db_unchanged_after_4xx(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request that answers a client error commits nothing."""
    if not 400 <= response.status_code < 500:
        return None
    around = _AROUND.get(id(case))
    if around is None:
        return None
    STATS["4xx_compared"] += 1
    if around[0] != around[1]:
        STATS["4xx_changed"] += 1
        raise AssertionError(f"{case.method} {case.path} answered {response.status_code}, "
                             "but the database is not as it was before the request")
    return True


@atexit.register
def _write_stats() -> None:
    path = os.environ.get("STUDIO_FUZZ_STATS")
    if path:
        Path(path).write_text(json.dumps(dict(STATS), indent=2, sort_keys=True))

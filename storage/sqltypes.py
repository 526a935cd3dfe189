"""Column types and value helpers shared by the models and the repository.

SQLite has no time zone type: a plain ``DateTime`` hands back naive values, and mixing
naive and aware datetimes fails at comparison time, far from the cause. ``UTCDateTime``
stores UTC and always returns aware UTC values, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, time-zone aware, in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh random id (uuid4 as 32 hex characters): unguessable and merge-safe."""
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that goes in as any aware datetime and comes out as aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a time-zone aware value (UTC)")
        value = value.astimezone(UTC)
        # SQLite keeps the text of the value; drop the offset so every row sorts the same way.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_text(value: Any) -> str:
    """``value`` as JSON text, as ``json.dumps`` writes it but for the spacing (and NaN and
    infinities, written as null, as the API's responses show them), about ten times faster:
    orjson, falling back to ``json`` for what orjson refuses (integers past 64 bits, lone
    surrogates, nesting past 254 levels). The writer of every stored JSON column."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def json_value(text: str | bytes) -> Any:
    """The reader of every stored JSON column (``json_text``'s inverse): orjson, several
    times faster than ``json.loads``, falling back to it for what orjson refuses (integers
    past 64 bits, ``NaN`` written by an older ``json.dumps``)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def json_column() -> JSON:
    """JSON where Python ``None`` is SQL NULL (SQLAlchemy's default stores the text 'null')."""
    return JSON(none_as_null=True)


def as_datetime(value: Any) -> datetime:
    """Accept an aware datetime, a Unix timestamp or an ISO 8601 string; return aware UTC.

    Run events arrive from the executor with ``ts`` as a float (``time.time()``), from
    clients as ISO text; both must land in the same column.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a time-zone aware value (UTC)")
        return value.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise TypeError(f"cannot read a timestamp from {value!r}")

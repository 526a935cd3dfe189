"""What every resource's schemas share: the bounds of a number and the strictness of a request."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

MAX_INT = 2**31 - 1
"""The largest number a version, offset or count may be: what every database stores."""


class In(BaseModel):
    """A request body: a key the API does not know is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Row(BaseModel):
    """A response read from a database row by attribute (``model_validate(row)``)."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

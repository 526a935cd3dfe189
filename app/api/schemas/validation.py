"""The validator's report (``POST /api/validate``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ValidationReport(BaseModel):
    valid: bool
    problems: list[dict[str, Any]]
    types: dict[str, dict[str, dict[str, str]]]

"""Share links: creating one, listing a graph's, and what a link shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, computed_field

from app.api.schemas.common import MAX_INT, In, Row
from storage.models import ShareMode


class ShareCreate(In):
    mode: ShareMode = Field(description="view: read-only canvas; fork: view + copy; demo: the live demo only")
    version: int | None = Field(None, ge=1, le=MAX_INT, description="pin a version; null follows the latest")
    expires_in_days: float | None = Field(None, gt=0, le=3650)


class SharePublic(Row):
    token: str
    graph_id: str
    mode: ShareMode
    version: int | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool

    @computed_field  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        return share_url(self.token, self.mode)


class SharesPublic(Row):
    data: list[SharePublic]
    count: int


class SharedGraph(BaseModel):
    token: str
    mode: ShareMode
    graph_name: str
    description: str
    version: int
    document: dict[str, Any] | None = Field(description="null for demo links: they show only the demo")
    demo_url: str | None


def share_url(token: str, mode: str) -> str:
    return f"/demo/{token}" if mode == ShareMode.DEMO else f"/s/{token}"


def share_public(share: Any) -> SharePublic:
    return SharePublic.model_validate(share)

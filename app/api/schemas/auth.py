"""Signing in: who is signed in, and the login request."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.api.schemas.common import In, Row


class UserPublic(Row):
    id: str
    name: str


class Me(BaseModel):
    auth: bool = Field(description="whether this server requires signing in")
    user: UserPublic | None


class Login(In):
    token: str = Field(min_length=1, max_length=200, description="your API token (`genaisys users add NAME`)")

"""Users and their API tokens (the ``--auth`` mode); the caller owns the transaction.

A token is 32 random bytes (``secrets.token_urlsafe``, 256 bits) behind a ``gsk_`` prefix
that makes it recognisable in logs and secret scanners. Only its SHA-256 is stored: a
token this random needs no slow password hash (nothing can be guessed from the digest),
and looking a token up by its digest costs one index read, with no comparison that could
leak timing. The token is shown once, when it is made, and never again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.errors import NotFound, StorageError
from storage.models import ApiToken, Graph, Run, User
from storage.sqltypes import new_id, utcnow

TOKEN_PREFIX = "gsk_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class UserExists(StorageError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"a user named {name!r} already exists; pick another name, "
                         f"or give {name!r} a new token with `genaisys users token {name}`")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(session: Session, *, name: str) -> tuple[User, str]:
    """A new user and their first token (the only time the token is seen).

    The first user ever created takes over the graphs and runs that have no owner (made
    before ``--auth`` was turned on, and the seeded examples), so nothing becomes unreachable.
    """
    if not NAME_PATTERN.match(name):
        raise ValueError(f"user name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
    first = session.scalar(select(User.id).limit(1)) is None
    user = User(id=new_id(), name=name, created_at=utcnow())
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise UserExists(name) from None
    if first:
        session.execute(update(Graph).where(Graph.owner_id.is_(None)).values(owner_id=user.id))
        session.execute(update(Run).where(Run.owner_id.is_(None)).values(owner_id=user.id))
    return user, issue_token(session, user=user)


def issue_token(session: Session, *, user: User) -> str:
    """Another token for ``user``; earlier ones keep working until revoked."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(id=new_id(), user_id=user.id, token_hash=hash_token(token),
                         prefix=token[:len(TOKEN_PREFIX) + 4], created_at=utcnow()))
    session.flush()
    return token


def get_user(session: Session, *, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound("user", name, hint="`genaisys users list` shows who exists")
    return user


def list_users(session: Session) -> list[tuple[User, int]]:
    """Every user, oldest first, with how many live (unrevoked) tokens each has."""
    users = list(session.scalars(select(User).order_by(User.created_at, User.name)))
    counts = dict(session.execute(select(ApiToken.user_id, func.count()).where(ApiToken.revoked_at.is_(None))
                                  .group_by(ApiToken.user_id)).tuples().all())
    return [(u, counts.get(u.id, 0)) for u in users]


def revoke_tokens(session: Session, *, user: User) -> int:
    """Revoke every live token of ``user`` (signing them out everywhere); how many."""
    # An UPDATE's result is a CursorResult (which has rowcount); Session.execute is typed
    # as returning the plain Result.
    result = cast(CursorResult[Any], session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())))
    return result.rowcount or 0


def user_for_token(session: Session, *, token: str, touch: bool = False) -> User | None:
    """The user a live token belongs to, or None (unknown or revoked token); ``touch``
    records the use in ``last_used_at`` (at sign-in, not on every request)."""
    if not token or len(token) > 200:
        return None
    row = session.execute(
        select(User, ApiToken).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    if touch:
        row[1].last_used_at = utcnow()
        session.flush()
    return row[0]

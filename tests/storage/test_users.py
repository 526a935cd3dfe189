"""Users and API tokens: only hashes at rest, revocation, and the first user's inheritance."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import repo
from storage.errors import NotFound
from storage.models import ApiToken, Graph, Run
from storage.users import UserExists


def test_a_token_finds_its_user_and_only_its_hash_is_kept(session: Session) -> None:
    with session.begin():
        alice, token = repo.create_user(session, name="alice")
    rows = session.scalars(select(ApiToken)).all()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in (r.token_hash, r.prefix) for r in rows) and rows[0].prefix == token[:8]
    assert repo.user_for_token(session, token=token).name == "alice"
    for wrong in ("", token[:-1], token + "x", "x" * 500):
        assert repo.user_for_token(session, token=wrong) is None


def test_revoking_ends_every_token_of_a_user_and_others_keep_theirs(session: Session) -> None:
    with session.begin():
        alice, first = repo.create_user(session, name="alice")
        second = repo.issue_token(session, user=alice)
        _, bobs = repo.create_user(session, name="bob")
    assert first != second and repo.user_for_token(session, token=second).name == "alice"
    session.rollback()  # end the read
    with session.begin():
        assert repo.revoke_tokens(session, user=repo.get_user(session, name="alice")) == 2
    assert repo.user_for_token(session, token=first) is None and repo.user_for_token(session, token=second) is None
    assert repo.user_for_token(session, token=bobs).name == "bob"
    assert [(u.name, live) for u, live in repo.list_users(session)] == [("alice", 0), ("bob", 1)]


def test_names_are_unique_and_plain(session: Session) -> None:
    with session.begin():
        repo.create_user(session, name="alice")
    with pytest.raises(UserExists, match="already exists"), session.begin():
        repo.create_user(session, name="alice")
    for bad in ("", "a b", "-x", "x" * 65, "al/ice"):
        with pytest.raises(ValueError, match="user name"), session.begin():
            repo.create_user(session, name=bad)


def test_the_first_user_takes_over_what_had_no_owner_and_later_users_do_not(session: Session) -> None:
    doc = {"schema": "genaisys.graph/1", "nodes": [], "edges": []}
    with session.begin():
        old, version = repo.create_graph(session, name="made before --auth", document=doc)
        old_run = repo.create_run(session, graph_version_id=version.id, document=doc)
        alice, _ = repo.create_user(session, name="alice")
        later, _ = repo.create_graph(session, name="no owner, made after", document=doc)
        repo.create_user(session, name="bob")
    assert session.get(Graph, old.id).owner_id == alice.id
    assert session.get(Run, old_run.id).owner_id == alice.id
    assert session.get(Graph, later.id).owner_id is None
    assert repo.list_graphs(session, owner_id=alice.id)[1] == 1
    with pytest.raises(NotFound):
        repo.get_graph(session, graph_id=old.id, owner_id="someone-else")


def test_signing_in_records_when_a_token_was_last_used_and_plain_requests_do_not(session: Session) -> None:
    with session.begin():
        _, token = repo.create_user(session, name="alice")
    with session.begin():
        repo.user_for_token(session, token=token)
    assert session.scalars(select(ApiToken)).one().last_used_at is None
    session.rollback()  # end the read
    with session.begin():
        repo.user_for_token(session, token=token, touch=True)
    assert session.scalars(select(ApiToken)).one().last_used_at is not None

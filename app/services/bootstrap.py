"""Opening a studio's database: migrated to head, and seeded with the examples when new. The
server's start-up and the CLI's commands that touch the database both go through here."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.orm import Session

from app.services.graphs import import_document
from app.settings import EXAMPLES, Settings
from nodes.registry import default_registry
from storage import repo
from storage.db import make_engine, make_session_factory, upgrade_to_head

log = logging.getLogger("genaisys")


def open_database(settings: Settings) -> Any:
    """The engine and session factory of the settings' database, migrated to head. A
    brand-new database gets the examples."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    new_database = upgrade_to_head(engine) is None  # true for one process only, if several start at once
    sessions = make_session_factory(engine)
    if new_database and settings.seed_examples:  # whoever opens it first: the server, or `users add`
        with sessions() as session, session.begin():
            seed_examples(session)
    return engine, sessions


def seed_examples(session: Session) -> int:
    """Put the shipped example graphs into a new database (once: a user may delete them)."""
    count = 0
    for path in sorted(EXAMPLES.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("example %s skipped: %s", path.name, exc)
            continue
        if document.get("graphs"):  # built of subgraphs: the graphs it bundles are saved first
            import_document(session, default_registry(), document, f"example {path.name}")
        else:
            repo.create_graph(session, name=document.get("name") or path.stem,
                              description=document.get("description", ""), document=document,
                              message=f"example {path.name}")
        count += 1
    return count

"""`genaisys db copy --from URL --to URL`: copy every row of a studio's database (users,
tokens, graphs, versions, runs, node results, events, shares, artifact rows) into a new,
empty database, e.g. from SQLite to PostgreSQL (docs/postgres.md). The source is only read.

Exit 0 when every table was copied, 1 when the copy was refused (a target that holds data,
a source not at this version's schema), 2 for a database that cannot be opened.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.common import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, CliError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL


def add_parser(sub: Any) -> None:
    db = sub.add_parser("db", help="the studio's database: copy it into another one (e.g. SQLite to PostgreSQL)")
    db_sub = db.add_subparsers(metavar="ACTION", required=True)
    copy = db_sub.add_parser("copy", help="copy every table into a new, empty database (the source is only read)")
    copy.add_argument("--from", dest="source", required=True, metavar="URL",
                      help="the studio's database now, e.g. sqlite:////home/me/.genaisys/genaisys.db")
    copy.add_argument("--to", dest="target", required=True, metavar="URL",
                      help="an empty database, e.g. postgresql+psycopg://studio@db.example/studio")
    copy.set_defaults(func=cmd_copy)


def cmd_copy(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    from storage.copy import CopyRefused, copy_database
    from storage.db import make_engine

    source = _parsed(args.source)
    if source is not None and source.get_backend_name() == "sqlite" and source.database not in (None, "", ":memory:") \
            and not Path(source.database).expanduser().is_file():
        raise CliError(f"--from {args.source!r}: no such database file (a studio's is DATA_DIR/genaisys.db)")
    engines = []
    try:
        for role, url in (("--from", args.source), ("--to", args.target)):
            try:
                engines.append(make_engine(url))
            except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
                raise CliError(f"{role} {url!r}: not a database URL this studio can open ({exc}); "
                               "PostgreSQL needs `pip install 'genaisys-studio[postgres]'`") from None
        try:
            copied = copy_database(engines[0], engines[1], progress=_report)
        except CopyRefused as exc:
            raise CliError(str(exc), EXIT_INVALID) from None
        except SQLAlchemyError as exc:
            raise CliError(f"the copy failed and copied no row: {exc.__class__.__name__}: "
                           f"{str(exc).splitlines()[0]}", EXIT_UNREADABLE) from None
    finally:
        for engine in engines:
            engine.dispose()
    print(f"copied {sum(c.rows for c in copied)} rows in {len(copied)} tables; "
          f"start the studio with GENAISYS_DATABASE_URL={_shown(args.target)}")
    return EXIT_OK


def _parsed(url: str) -> URL | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url)
    except ArgumentError:
        return None


def _report(table: str, rows: int) -> None:
    print(f"{table:<16} {rows:>9} rows", file=sys.stderr)


def _shown(url: str) -> str:
    """The URL with its password hidden (it would land in a terminal's scrollback)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)

"""`genaisys cache stats|clear`: the persistent result cache of a data directory, which the
server and `genaisys run` share."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_OK


def add_parser(sub: Any) -> None:
    cache = sub.add_parser("cache", help="the persistent result cache (shared by the server and `genaisys run`)")
    actions = cache.add_subparsers(metavar="ACTION", required=True)
    stats = actions.add_parser("stats", help="how many results are kept, and their size on disk")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(func=cmd_cache, action="stats")
    clear = actions.add_parser("clear", help="forget every kept result (the next run of each node says 'cache cleared'); "
                               "a running server keeps what it holds in memory until it restarts")
    clear.set_defaults(func=cmd_cache, action="clear", json=False)
    for p in (stats, clear):
        p.add_argument("--data-dir", type=Path, default=None, help="the studio's data directory (default ~/.genaisys)")


def cmd_cache(args: argparse.Namespace) -> int:
    from app.services.bootstrap import open_database
    from app.settings import Settings
    from nodes.memory import human_bytes
    from storage import result_cache

    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    engine, sessions = open_database(settings)
    folder = settings.data_dir / "cache"
    try:
        with sessions() as session, session.begin():
            if args.action == "clear":
                count, nbytes = result_cache.clear(session)
            else:
                found = result_cache.stats(session)
    finally:
        engine.dispose()
    if args.action == "clear":
        shutil.rmtree(folder, ignore_errors=True)  # after the rows are gone: no row names a missing file
        print(f"cleared {count} result(s), {human_bytes(nbytes)}", file=sys.stderr)
        return EXIT_OK
    found = {**found, "limit_bytes": settings.cache_disk_bytes, "folder": str(folder),
             "oldest_use": found["oldest_use"].isoformat() if found["oldest_use"] else None}
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        print(f"{found['entries']} result(s), {human_bytes(found['bytes'])} of {human_bytes(settings.cache_disk_bytes)} "
              f"on disk, for {found['scopes']} graph(s); in {folder}")
    return EXIT_OK

"""`genaisys`: validate, run and list nodes from a terminal; serve the studio.

Errors come out as one clear line on stderr, never a traceback. Exit codes: 0 success,
1 an invalid graph or a failed run, 2 a file that cannot be read or a bad command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from app.cli import analyze, cache, db, evaluate, replay, running
from app.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNREADABLE,
    CliError,
    add_backend_arguments,
    backend_overrides,
    read_document,
)

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_UNREADABLE", "CliError", "main", "read_document"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_UNREADABLE
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"genaisys: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("genaisys: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genaisys", description="GenAISys Studio: compose generative AI systems as graphs.")
    sub = p.add_subparsers(metavar="COMMAND")

    serve = sub.add_parser("serve", help="start the studio: the API and the canvas")
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    serve.add_argument("--data-dir", type=Path, default=None, help="database, artifacts and model cache (default ~/.genaisys)")
    serve.add_argument("--auth", action="store_true", default=None,
                       help="require a user's API token on every route (make users with `genaisys users add`)")
    add_backend_arguments(serve)
    serve.set_defaults(func=cmd_serve)

    users = sub.add_parser("users", help="the users of an --auth server and their API tokens")
    users.add_argument("--data-dir", type=Path, default=None, help="the studio's data directory (default ~/.genaisys)")
    users_sub = users.add_subparsers(metavar="ACTION", required=True)
    add = users_sub.add_parser("add", help="make a user and print their first API token (shown once)")
    add.add_argument("name")
    add.set_defaults(func=cmd_users, action="add")
    tok = users_sub.add_parser("token", help="print a new API token for a user (earlier ones keep working)")
    tok.add_argument("name")
    tok.set_defaults(func=cmd_users, action="token")
    rev = users_sub.add_parser("revoke", help="revoke every API token of a user (signs them out everywhere)")
    rev.add_argument("name")
    rev.set_defaults(func=cmd_users, action="revoke")
    lst = users_sub.add_parser("list", help="list the users")
    lst.set_defaults(func=cmd_users, action="list")
    for p_ in (add, tok, rev, lst):
        p_.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help="the studio's data directory")

    models = sub.add_parser("models", help="the shipped models")
    models_sub = models.add_subparsers(metavar="ACTION", required=True)
    prep = models_sub.add_parser("prepare", help="make the shipped models ready to load (converts the LLM once), "
                                 "so the first run does no conversion")
    prep.add_argument("--data-dir", type=Path, default=None, help="the studio's data directory (default ~/.genaisys)")
    prep.add_argument("--json", action="store_true", help="print what was done as JSON, no progress bars")
    prep.set_defaults(func=cmd_models_prepare)

    imp = sub.add_parser("import", help="save a graph file into the studio's database as a new graph")
    imp.add_argument("file", type=Path)
    imp.add_argument("--data-dir", type=Path, default=None, help="the studio's data directory (default ~/.genaisys)")
    imp.add_argument("--json", action="store_true", help="print the import report as JSON")
    imp.add_argument("--owner", default=None, metavar="USER", help="whose graph it becomes (required once the studio has users)")
    imp.set_defaults(func=cmd_import)

    nodes = sub.add_parser("nodes", help="list the installed node types")
    nodes.add_argument("--json", action="store_true", help="print the catalog the canvas reads")
    nodes.set_defaults(func=cmd_nodes)

    val = sub.add_parser("validate", help="check a graph file; exit 0 valid, 1 invalid, 2 unreadable")
    val.add_argument("file", type=Path)
    val.add_argument("--json", action="store_true", help="print the full report as JSON")
    val.set_defaults(func=cmd_validate)

    analyze.register(sub)  # commands with a module of their own register themselves
    running.add_parser(sub)
    replay.add_parser(sub)
    cache.add_parser(sub)
    evaluate.add_parser(sub)
    db.add_parser(sub)
    return p


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from app.cli.attach import announcing
    from app.main import create_app
    from app.settings import Settings

    overrides = {k: v for k, v in {"host": args.host, "port": args.port, "data_dir": args.data_dir,
                                   "auth": args.auth, **backend_overrides(args)}.items() if v is not None}
    settings = Settings(**overrides)
    settings.configure_nodes()  # where nodes keep models and stores, the device, the budget
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter is not for the terminal
    mode = "; sign-in required (--auth)" if settings.auth else ""
    print(f"GenAISys Studio on http://{settings.host}:{settings.port}/  (data in {settings.data_dir}{mode})", file=sys.stderr)
    local = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    local = f"[{local}]" if ":" in local else local
    try:
        app = announcing(create_app(settings), settings.data_dir, f"http://{local}:{settings.port}", auth=settings.auth)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", ws_per_message_deflate=False)
    except OSError as exc:
        raise CliError(f"cannot serve on {settings.host}:{settings.port}: {exc.strerror or exc}") from None
    return EXIT_OK


def cmd_models_prepare(args: argparse.Namespace) -> int:
    """One bar per shipped model, each moving with what its step is doing."""
    from app.settings import Settings
    from nodes.runtime.prepare import prepare_shipped

    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    settings.configure_nodes()  # where nodes keep their models
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # backend notices (no torchvision, ...) are not for this terminal
    if args.json:
        results = prepare_shipped()
    else:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        console.print(f"preparing the shipped models in {settings.data_dir / 'models'}")
        with Progress(TextColumn("{task.description:<24}"), BarColumn(), TextColumn("{task.fields[status]}"),
                      TimeElapsedColumn(), console=console) as bars:
            tasks: dict[str, TaskID] = {}

            def report(model: str, fraction: float, message: str) -> None:
                if model not in tasks:
                    tasks[model] = bars.add_task(model, total=1.0, status="")
                bars.update(tasks[model], completed=fraction, status=message[:60])

            results = prepare_shipped(report)
    missing = [r for r in results if r.status == "missing"]
    if args.json:
        print(json.dumps([{"model": r.model, "status": r.status, "seconds": round(r.seconds, 2), "detail": r.detail}
                          for r in results], indent=2))
    else:
        done = sum(r.seconds for r in results)
        print(f"{len(results) - len(missing)} of {len(results)} models ready ({done:.1f} s)", file=sys.stderr)
        for r in missing:
            print(f"  {r.model}: {r.detail}", file=sys.stderr)
    return EXIT_INVALID if missing else EXIT_OK


def cmd_users(args: argparse.Namespace) -> int:
    """Tokens go to stdout alone (``TOKEN=$(genaisys users add alice)``); guidance to stderr."""
    from app.services.bootstrap import open_database
    from app.settings import Settings
    from storage import repo
    from storage.errors import NotFound, StorageError

    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    engine, sessions = open_database(settings)
    try:
        with sessions() as session, session.begin():
            if args.action == "list":
                for user, live in repo.list_users(session):
                    print(f"{user.name}\t{live} live token(s)\tsince {user.created_at:%Y-%m-%d}")
                return EXIT_OK
            if args.action == "add":
                user, token = repo.create_user(session, name=args.name)
            else:
                user = repo.get_user(session, name=args.name)
                if args.action == "revoke":
                    n = repo.revoke_tokens(session, user=user)
                    print(f"revoked {n} token(s) of {user.name}", file=sys.stderr)
                    return EXIT_OK
                token = repo.issue_token(session, user=user)
    except (ValueError, NotFound, StorageError) as exc:
        raise CliError(str(exc), EXIT_INVALID) from None
    finally:
        engine.dispose()
    print(token)
    print(f"API token for {user.name}: keep it secret, it is shown only now. Use it as "
          "'Authorization: Bearer <token>', or paste it into the canvas's sign-in box; "
          f"serve with `genaisys serve --auth --data-dir {settings.data_dir}`.", file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from app.api.schemas.graphs import ImportReport, graph_detail
    from app.services.bootstrap import open_database
    from app.services.errors import Refused
    from app.services.graphs import import_document
    from app.settings import Settings
    from nodes.registry import default_registry
    from storage import repo
    from storage.errors import NotFound

    document = read_document(args.file)
    if not isinstance(document, dict):
        raise CliError(f"{args.file}: a graph file holds a JSON object", EXIT_INVALID)
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    registry = default_registry()
    engine, sessions = open_database(settings)
    try:
        with sessions() as session, session.begin():
            owner = None
            if args.owner:
                owner = repo.get_user(session, name=args.owner).id
            elif repo.list_users(session):
                raise CliError("this studio has users: say whose graph it becomes with --owner USER", EXIT_INVALID)
            imported = import_document(session, registry, document, f"imported from {args.file.name}",
                                       owner_id=owner)
            report = ImportReport(graph=graph_detail(imported.graph, imported.version, imported.checked, registry),
                                  migrated=imported.migrated, missing=imported.missing)
    except Refused as exc:
        raise CliError(f"{args.file}: {exc.message}", EXIT_INVALID) from None
    except NotFound as exc:
        raise CliError(str(exc), EXIT_INVALID) from None
    finally:
        engine.dispose()
    if args.json:
        print(report.model_dump_json(indent=2))
        return EXIT_OK
    print(f"imported {args.file} as graph {report.graph.id} ({report.graph.name!r}, {len(report.graph.document.get('nodes', []))} nodes)")
    for m in report.migrated:
        print(f"  upgraded node {m['node_id']!r} ({m['type']}) from version {m['from_version']} to {m['to_version']}")
    for m in report.missing:
        print(f"  missing {m['kind'].replace('_', ' ')} {m['name']!r} (used by {', '.join(map(str, m['nodes']))}): {m['hint']}")
    return EXIT_OK


def cmd_nodes(args: argparse.Namespace) -> int:
    from nodes.registry import default_registry

    catalog = default_registry().catalog()
    if args.json:
        print(json.dumps(catalog, indent=2))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table("type", "title", "inputs", "outputs", title="GenAISys nodes")
    for node in catalog["nodes"]:
        ins = ", ".join(f"{i['name']}: {i['type']['label']}" for i in node["inputs"])
        outs = ", ".join(f"{o['name']}: {o['type']['label']}" for o in node["outputs"])
        table.add_row(node["type"], node["title"], ins, outs)
    console = Console()
    console.print(table)
    for err in catalog["load_errors"]:
        console.print(f"[red]could not load {err['module']}: {err['error']}[/red]")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from app.engine.validate import validate
    from nodes.registry import default_registry

    checked = validate(read_document(args.file), default_registry())
    if args.json:
        print(json.dumps(checked.report(), indent=2))
    elif checked.ok:
        print(f"{args.file}: valid ({len(checked.nodes)} nodes, {checked.graph.number_of_edges()} edges)")
    else:
        print(f"{args.file}: {len(checked.problems)} problem(s)")
        for p in checked.problems:
            print(f"  [{p.code}] {p.message}")
    return EXIT_OK if checked.ok else EXIT_INVALID

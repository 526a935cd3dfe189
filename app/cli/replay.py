"""`genaisys replay RUN_ID`: run a stored run again, as it ran, past the result cache, and say
per node whether its outputs came out identical, and if not, what changed.

Exit 0 when every node is identical, 1 when any differs or fails (or the run cannot be
replayed), 2 for a bad command line or a run that is not there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, CliError
from app.engine.vocabulary import ReplayVerdict as V


def add_parser(sub: Any) -> None:
    replay = sub.add_parser("replay", help="run a stored run again past the cache; say per node identical or what changed")
    replay.add_argument("run_id", metavar="RUN_ID")
    replay.add_argument("--data-dir", type=Path, default=None, help="the studio's data directory (default ~/.genaisys)")
    replay.add_argument("--json", action="store_true", help="print the verdicts as JSON, no progress bars")
    replay.set_defaults(func=cmd_replay)


def cmd_replay(args: argparse.Namespace) -> int:
    from app.engine.executor import Executor, GraphInvalid
    from app.engine.provenance import library_versions
    from app.engine.validate import validate
    from app.services.bootstrap import open_database
    from app.services.errors import ReplayImpossible
    from app.services.graphs import saved_graphs
    from app.services.replay import plan_replay, report
    from app.settings import Settings
    from nodes.registry import default_registry
    from storage.errors import NotFound

    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    settings.configure_nodes()  # the same models, stores and device as the server that ran it
    engine, sessions = open_database(settings)
    registry = default_registry()
    executor = Executor(registry, backend=settings.node_backend(), node_timeout_s=settings.node_timeout_s,
                        max_text_output_bytes=settings.max_text_output_bytes)
    try:
        with sessions() as session:
            plan = plan_replay(session, run_id=args.run_id)
        if not args.json:
            for note in plan.preflight:
                print(f"genaisys: {note['message']}", file=sys.stderr)
        bundle = isinstance(plan.document, dict) and plan.document.get("graphs")  # a file's run: its own subgraphs
        checked = validate(plan.document, registry, subgraphs=None if bundle else saved_graphs(sessions, plan.owner_id),
                           graph_id=plan.graph_id)
        if not checked.ok:
            problems = "; ".join(f"{p.where()}: {p.message}" for p in checked.problems[:3])
            raise CliError(f"run {plan.of}: its graph has problems with the nodes installed now: {problems}", EXIT_INVALID)
        scope = f"replay:{plan.of}"
        if args.json:
            result = executor.run(checked, plan.inputs, scope=scope, owner_id=plan.owner_id, bypass_cache=True)
        else:
            from app.cli.progress import ProgressView

            with ProgressView() as view:
                result = executor.run(checked, plan.inputs, on_event=view.on_event, scope=scope,
                                      owner_id=plan.owner_id, bypass_cache=True)
        verdicts = report(plan, checked, result, library_versions())
    except NotFound as exc:
        raise CliError(str(exc), EXIT_UNREADABLE) from None
    except ReplayImpossible as exc:
        raise CliError(exc.message, EXIT_INVALID) from None
    except GraphInvalid as exc:
        raise CliError(f"run {args.run_id}: {exc}", EXIT_INVALID) from None
    finally:
        executor.backend.shutdown()
        engine.dispose()
    if args.json:
        print(json.dumps({"replay_of": plan.of, "status": result.status, **verdicts}, indent=2, default=str))
    else:
        _print(verdicts)
    return EXIT_OK if verdicts["summary"]["reproduced"] else EXIT_INVALID


def _print(verdicts: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("node", "verdict", "what changed", title=f"replay of run {verdicts['of']}")
    colour = {V.IDENTICAL: "green", V.DIFFERS: "yellow", V.FAILED: "red", V.NOT_COMPARABLE: "dim"}
    for nid, v in verdicts["nodes"].items():
        table.add_row(nid, f"[{colour.get(v['verdict'], 'white')}]{v['verdict']}[/]",
                      "" if v["verdict"] == V.IDENTICAL else v["message"])
    console = Console()
    console.print(table)
    s = verdicts["summary"]
    counts = ", ".join(f"{s[v.value]} {v.value.replace('_', ' ')}" for v in V)
    console.print(counts + (": the run reproduced exactly" if s["reproduced"] else ""))

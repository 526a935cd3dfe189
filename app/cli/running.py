"""`genaisys run` and `genaisys runs`: run a graph file or a saved graph in the terminal, and
read the run history, which is one history: a terminal run is recorded in the data
directory's database as a server's run is (its nodes' results, events and provenance), so it
shows in the canvas's Runs tab and can be replayed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_UNREADABLE,
    CliError,
    add_backend_arguments,
    backend_overrides,
    media_file,
    print_run,
    read_document,
    report_invalid,
)
from app.engine.vocabulary import RunStatus

DATA_DIR_HELP = "the studio's data directory, whose database records the run (default ~/.genaisys)"


def add_parser(sub: Any) -> None:
    run = sub.add_parser("run", help="run a graph file or a saved graph, print its outputs and record the run")
    run.add_argument("file", type=Path, nargs="?", help="a graph file (or give --graph)")
    run.add_argument("--graph", default=None, metavar="ID[@VERSION]", help="run a saved graph (its latest version, or VERSION)")
    run.add_argument("--input", "-i", action="append", default=[], metavar="NODE_ID=VALUE",
                     help="a value for an io input node (repeatable)")
    run.add_argument("--json", action="store_true", help="print the run record as JSON, no progress bars")
    run.add_argument("--out", type=Path, default=None, metavar="DIR",
                     help="write image and audio outputs into DIR as PNG and WAV files, and print their paths")
    run.add_argument("--data-dir", type=Path, default=None, help=DATA_DIR_HELP)
    run.add_argument("--here", action="store_true",
                     help="run in this process even when a studio serves the data directory (its models warm); "
                          "so does a run given --backend or --ray-address")
    add_backend_arguments(run)
    run.set_defaults(func=cmd_run)

    runs = sub.add_parser("runs", help="the run history (the server's and the terminal's runs)")
    runs_sub = runs.add_subparsers(metavar="ACTION", required=True)
    lst = runs_sub.add_parser("list", help="the latest runs, newest first")
    lst.add_argument("--graph", default=None, metavar="ID", help="only the runs of this saved graph")
    lst.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    lst.set_defaults(func=cmd_runs, action="list")
    show = runs_sub.add_parser("show", help="one run: its status, outputs and every node's result")
    show.add_argument("run_id", metavar="RUN_ID")
    show.set_defaults(func=cmd_runs, action="show")
    for p in (lst, show):
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument("--data-dir", type=Path, default=None, help=DATA_DIR_HELP)


def parse_inputs(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        node_id, sep, value = pair.partition("=")
        if not sep or not node_id:
            raise CliError(f"--input {pair!r}: write it as NODE_ID=VALUE")
        out[node_id] = value
    return out


def _settings(args: argparse.Namespace) -> Any:
    from app.settings import Settings

    overrides = {"data_dir": args.data_dir, **backend_overrides(args)}
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})  # the server's limits hold here too
    settings.configure_nodes()  # the same models and stores as the studio of that data directory
    return settings


def cmd_run(args: argparse.Namespace) -> int:
    from app.cli.attach import run_on_studio, serving_studio

    if (args.file is None) == (args.graph is None):
        raise CliError("give a graph file or --graph ID[@VERSION] (one of them)")
    inputs = parse_inputs(args.input)
    document = read_document(args.file) if args.file is not None else None
    where = str(args.file) if args.file is not None else f"graph {args.graph}"
    settings = _settings(args)
    # on the studio serving this data directory, unless told otherwise: a backend asked for, or a
    # file that bundles its subgraphs (the studio resolves them from its storage), runs here
    bundled = isinstance(document, dict) and bool(document.get("graphs"))
    here = args.here or bundled or any(backend_overrides(args).values())
    if not here and (studio := serving_studio(settings.data_dir)) is not None:
        return run_on_studio(studio, _studio_body(args.graph, document, inputs), where=where,
                             as_json=args.json, out=args.out)
    return _run_here(args, settings, document, inputs, where)


def _studio_body(spec: str | None, document: Any, inputs: dict[str, str]) -> dict[str, Any]:
    """``POST /api/runs``'s body for a file's document or a saved graph's ``ID[@VERSION]``."""
    if spec is None:
        return {"document": document, "inputs": inputs}
    graph_id, _, number = spec.partition("@")
    if number and not number.isdigit():
        raise CliError(f"--graph {spec!r}: write the version as a number, like {graph_id}@2")
    return {"graph_id": graph_id, "version": int(number) if number else None, "inputs": inputs}


def _run_here(args: argparse.Namespace, settings: Any, document: Any, inputs: dict[str, str], where: str) -> int:
    """Run in this process, recorded in the data directory's history."""
    from app.engine.executor import Executor, GraphInvalid
    from app.engine.validate import validate
    from app.services.bootstrap import open_database
    from app.services.graphs import saved_graphs
    from app.services.run_queue import RunManager
    from nodes.registry import default_registry
    from storage.artifacts import ArtifactStore

    registry = default_registry()
    engine, sessions = open_database(settings)
    executor = None
    try:
        graph_id = version_id = None
        if args.graph is not None:
            graph_id, version_id, document = _saved(sessions, args.graph)
        checked = validate(document, registry, subgraphs=saved_graphs(sessions, None) if graph_id else None, graph_id=graph_id)
        if not checked.ok:
            raise GraphInvalid(checked.problems, checked)
        executor = Executor(registry, settings.result_cache(sessions), backend=settings.node_backend(),
                            node_timeout_s=settings.node_timeout_s, max_text_output_bytes=settings.max_text_output_bytes)
        manager = RunManager(executor, sessions, ArtifactStore(settings.artifacts_dir), inline_limit=settings.inline_output_bytes,
                             lease_s=settings.run_lease_s)
        record = dict(document) if isinstance(document, dict) else {}
        if args.json:
            run_id, result = manager.run_here(checked, inputs, document=record, graph_id=graph_id, graph_version_id=version_id)
        else:
            from app.cli.progress import ProgressView

            with ProgressView() as view:
                run_id, result = manager.run_here(checked, inputs, document=record, graph_id=graph_id,
                                                  graph_version_id=version_id, listener=view.on_event)
    except GraphInvalid as exc:
        return report_invalid(str(where), exc.problems, args.json)
    finally:
        if executor is not None:
            executor.backend.shutdown()
        engine.dispose()
    if result is None:
        raise CliError(f"run {run_id} stopped on an internal error (it is recorded as failed)", EXIT_INVALID)
    outputs = dict(result.outputs)
    if args.out is not None:
        outputs.update(_write_media(result.outputs, args.out))
    if args.json:
        print(json.dumps({
            "run_id": run_id,
            "status": result.status,
            "duration_s": result.duration_s,
            "outputs": outputs,
            "nodes": {nid: r.to_json() for nid, r in result.nodes.items()},
        }, indent=2, default=repr))
    else:
        print_run(((nid, r.status, r.error) for nid, r in result.nodes.items()), outputs,
                  f"run {result.status} in {result.duration_s:.2f} s ({len(result.ran)} ran, {len(result.cached)} cached)")
        print(f"recorded as run {run_id} (genaisys runs show {run_id}; genaisys replay {run_id})", file=sys.stderr)
    return EXIT_OK if result.status == RunStatus.SUCCEEDED else EXIT_INVALID


def _saved(sessions: Any, spec: str) -> tuple[str, str, dict[str, Any]]:
    """``ID`` or ``ID@VERSION`` of a saved graph: its id, the version's row id and document."""
    from storage import repo
    from storage.errors import NotFound

    graph_id, _, number = spec.partition("@")
    if number and not number.isdigit():
        raise CliError(f"--graph {spec!r}: write the version as a number, like {graph_id}@2")
    with sessions() as session:
        try:
            graph = repo.get_graph(session, graph_id=graph_id)
            version = repo.get_version(session, graph_id=graph.id, number=int(number) if number else graph.latest_version)
        except NotFound as exc:
            raise CliError(str(exc), EXIT_INVALID) from None
        return graph.id, version.id, dict(version.document)


def cmd_runs(args: argparse.Namespace) -> int:
    from app.api.schemas.runs import RunDetail, RunPublic
    from app.services.bootstrap import open_database
    from storage import repo
    from storage.errors import NotFound

    settings = _settings(args)
    engine, sessions = open_database(settings)
    try:
        with sessions() as session:
            if args.action == "show":
                try:
                    detail = RunDetail.model_validate(repo.get_run(session, run_id=args.run_id))
                except NotFound as exc:
                    raise CliError(str(exc), EXIT_UNREADABLE) from None
            else:
                runs, count = repo.list_runs(session, graph_id=args.graph, limit=max(1, args.limit))
                listed = [RunPublic.model_validate(r) for r in runs]
    finally:
        engine.dispose()
    if args.action == "show":
        if args.json:
            print(detail.model_dump_json(indent=2))
            return EXIT_OK
        _print_run(detail)
        return EXIT_OK
    if args.json:
        print(json.dumps({"data": [r.model_dump(mode="json") for r in listed], "count": count}, indent=2))
        return EXIT_OK
    for r in listed:
        took = f"{r.duration_s:.2f} s" if r.duration_s is not None else "-"
        graph = f"{r.graph_id}@v{r.graph_version}" if r.graph_id else "(a file)"
        replay = f"  replay of {r.replay_of}" if r.replay_of else ""
        print(f"{r.id}  {r.status.value:<11} {r.created_at:%Y-%m-%d %H:%M:%S}  {took:>9}  {graph}{replay}")
    print(f"{len(listed)} of {count} run(s)", file=sys.stderr)
    return EXIT_OK


def _print_run(run: Any) -> None:
    print(f"run {run.id}: {run.status.value}" + (f" in {run.duration_s:.2f} s" if run.duration_s is not None else ""))
    if run.error:
        print(f"  {run.error.message}")
    for node in run.nodes:
        took = f" {node.duration_s:.2f} s" if node.duration_s else ""
        why = f" ({node.reason})" if node.reason else ""
        print(f"  {node.node_id:<24} {node.status.value:<10}{took}{why}")
    for nid, value in (run.outputs or {}).items():
        text = value if isinstance(value, str) else json.dumps(value, indent=2)
        print(f"── {nid} ──\n{text}")


def _write_media(outputs: dict[str, Any], folder: Path) -> dict[str, dict[str, str]]:
    """Image outputs as ``<node id>.png``, audio as ``<node id>.wav``; what each became."""
    from app.services.outputs import _is_audio, _is_image, wav_bytes

    written: dict[str, dict[str, str]] = {}
    for nid, value in outputs.items():
        if _is_image(value):
            path = media_file(folder, nid, "png")
            value.save(path, format="PNG")
        elif _is_audio(value):
            path = media_file(folder, nid, "wav")
            path.write_bytes(wav_bytes(value["samples"], int(value["sample_rate"])))
        else:
            continue
        written[nid] = {"file": str(path)}
    return written



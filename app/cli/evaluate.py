"""`genaisys eval FILE_OR_GRAPH_ID --cases CASES`: run a graph over a dataset and judge it.

A FILE runs in this process and is stored nowhere; a saved GRAPH_ID[@VERSION] is read from the
data directory's database and its evaluation is stored there, per version, case by case, as
the server stores one. Exit codes: 0 every case passed, 1 some failed (or the graph is
invalid), 2 a graph or cases file that cannot be read, or cases that do not fit the graph.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_INVALID, EXIT_OK, CliError, read_document, report_invalid
from app.engine.vocabulary import CaseStatus, FailureCode, RunStatus


def add_parser(sub: Any) -> None:
    """Register `eval` on the `genaisys` command's subparsers."""
    ev = sub.add_parser("eval", help="run a graph over a dataset of cases and check its outputs; "
                        "exit 0 all passed, 1 some failed, 2 unreadable")
    ev.add_argument("graph", metavar="FILE_OR_GRAPH_ID",
                    help="a graph file, or the id of a saved graph (GRAPH_ID@VERSION for a version other than the latest)")
    ev.add_argument("--cases", type=Path, required=True, metavar="CASES",
                    help="the cases: .json ({\"cases\": [...], \"checks\": [...]}), .jsonl or .csv")
    ev.add_argument("--check", action="append", default=[], metavar="JSON",
                    help='a check, added to the file\'s: \'{"output": "answer", "kind": "contains_any", "column": "want"}\'')
    ev.add_argument("--json", action="store_true", help="print the full result as JSON, no progress bar")
    ev.add_argument("--data-dir", type=Path, default=None, metavar="DIR", help="the studio's data directory (default ~/.genaisys)")
    ev.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    from app.engine.executor import Executor, GraphInvalid
    from app.services.evaluation import CasesError, read_dataset
    from app.settings import Settings
    from nodes.registry import default_registry

    extra = []
    for raw in args.check:
        try:
            extra.append(json.loads(raw))
        except json.JSONDecodeError as exc:
            raise CliError(f"--check {raw!r}: not JSON ({exc.msg}); write it as a JSON object") from None
    try:
        dataset = read_dataset(args.cases, extra)
    except FileNotFoundError:
        raise CliError(f"{args.cases}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{args.cases}: cannot read it ({exc.__class__.__name__}: {exc})") from None
    except CasesError as exc:
        raise CliError(str(exc)) from None
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    if args.data_dir is not None or not Path(args.graph).exists():
        settings.configure_nodes()  # a saved graph's models and stores live in its data directory
    registry = default_registry()
    executor = Executor(registry, backend=settings.node_backend(), node_timeout_s=settings.node_timeout_s,
                        max_text_output_bytes=settings.max_text_output_bytes)
    try:
        if Path(args.graph).exists():
            result = _run(executor, registry, read_document(Path(args.graph)), dataset, args, scope=args.graph)
        else:
            result = _run_saved(executor, registry, settings, dataset, args)
    except GraphInvalid as exc:
        return report_invalid(str(args.graph), exc.problems, args.json)
    except CasesError as exc:
        raise CliError(f"{args.cases}: {exc}") from None
    finally:
        executor.backend.shutdown()
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    else:
        _print(result)
    return EXIT_OK if result.passed == len(result.cases) and result.status == RunStatus.SUCCEEDED else EXIT_INVALID


def _run(executor: Any, registry: Any, document: Any, dataset: Any, args: argparse.Namespace, *, scope: str,
         subgraphs: Any = None, on_case: Any = None, owner_id: str | None = None) -> Any:
    """Validate and evaluate, with a progress bar unless ``--json``."""
    from app.engine.validate import validate
    from app.services.evaluation import evaluate

    checked = validate(document, registry, subgraphs=subgraphs)
    if args.json:
        return evaluate(executor, checked, dataset, scope=scope, on_case=on_case, owner_id=owner_id)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    failed = 0
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[status]}"), TimeElapsedColumn(), console=console) as bars:
        task = bars.add_task("cases", total=len(dataset.cases), status="")

        def started(n: int, case_id: str) -> None:
            bars.update(task, status=f"running {case_id[:30]}" + (f"  [red]{failed} failed[/red]" if failed else ""))

        def finished(n: int, total: int, case: Any) -> None:
            nonlocal failed
            failed += case.status != CaseStatus.PASSED
            bars.update(task, completed=n, status=f"[red]{failed} failed[/red]" if failed else "[green]all passed[/green]")
            if on_case is not None:
                on_case(n, total, case)

        return evaluate(executor, checked, dataset, scope=scope, on_case=finished, on_case_start=started,
                        owner_id=owner_id)


def _run_saved(executor: Any, registry: Any, settings: Any, dataset: Any, args: argparse.Namespace) -> Any:
    """Evaluate a saved graph version and store the evaluation in its database as it goes."""
    from app.services.bootstrap import open_database
    from app.services.evaluation import check_against, summarize_checks
    from app.services.graphs import saved_graphs
    from storage import repo
    from storage.errors import NotFound

    graph_id, _, number = args.graph.partition("@")
    if number and not number.isdigit():
        raise CliError(f"{args.graph!r}: write a saved graph as GRAPH_ID or GRAPH_ID@VERSION (a number)")
    engine, sessions = open_database(settings)
    try:
        with sessions() as session, session.begin():
            try:
                graph = repo.get_graph(session, graph_id=graph_id)
                version = repo.get_version(session, graph_id=graph_id, number=int(number) if number else graph.latest_version)
            except NotFound:
                raise CliError(f"{args.graph}: no such file, nor a saved graph in {settings.data_dir}") from None
            document, version_number, owner = version.document, version.number, graph.owner_id
        from app.engine.validate import validate

        check_against(validate(document, registry, subgraphs=saved_graphs(sessions, owner), graph_id=graph_id), dataset)
        with sessions() as session, session.begin():
            row = repo.create_evaluation(session, graph_id=graph_id, version=version_number, owner_id=owner,
                                         checks=[c.to_json() for c in dataset.checks], cases_count=len(dataset.cases))
            eval_id = row.id
            repo.mark_evaluation_started(session, evaluation_id=eval_id)
        done: list[dict[str, Any]] = []

        def store(n: int, total: int, case: Any) -> None:
            done.append(case.to_json())
            with sessions() as session, session.begin():
                repo.record_case(session, evaluation_id=eval_id, result=case.to_json(), passed=case.status == CaseStatus.PASSED,
                                 summary=summarize_checks(dataset.checks, done))

        try:
            result = _run(executor, registry, document, dataset, args, scope=graph_id,
                          subgraphs=saved_graphs(sessions, owner), on_case=store, owner_id=owner)
        except BaseException:
            with sessions() as session, session.begin():
                repo.finish_evaluation(session, evaluation_id=eval_id, status=RunStatus.FAILED,
                                       error={"code": FailureCode.INTERNAL_ERROR, "message": "the evaluation stopped early"})
            raise
        with sessions() as session, session.begin():
            repo.finish_evaluation(session, evaluation_id=eval_id, status=result.status, summary=result.summary())
        print(f"evaluation {eval_id} of {graph_id}@{version_number} stored in {settings.data_dir}", file=sys.stderr)
        return result
    finally:
        engine.dispose()


def _print(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table("check", "output", "kind", "pass", "fail", "skip", "pass rate",
                  title=f"{result.passed} of {len(result.cases)} cases passed ({result.duration_s:.1f} s)")
    for name, s in result.summary().items():
        rate = "-" if s["pass_rate"] is None else f"{s['pass_rate']:.0%}"
        table.add_row(name, s["output"], s["kind"], str(s[CaseStatus.PASSED]), str(s[CaseStatus.FAILED]), str(s["skipped"]), rate)
    console.print(table)
    failing = [c for c in result.cases if c.status != CaseStatus.PASSED]
    if failing:
        console.print(f"[red]{len(failing)} failing case(s):[/red]")
    for case in failing:
        console.print(f"  [bold]{case.id}[/bold]" + (f"  inputs {json.dumps(case.inputs)[:120]}" if case.inputs else ""),
                      markup=True, highlight=False, soft_wrap=True)
        if case.error:
            console.print(f"    error: {case.error.get('message', '')}", markup=False, highlight=False, soft_wrap=True)
        for v in case.checks:
            if v["passed"] is False:
                console.print(f"    {v['name']}: {v['message']}", markup=False, highlight=False, soft_wrap=True)
    if result.status != RunStatus.SUCCEEDED:
        console.print(f"[red]the evaluation was {result.status} after {len(result.cases)} case(s)[/red]")


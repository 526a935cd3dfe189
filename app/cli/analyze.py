"""`genaisys analyze FILE [--json]`: what a graph file's models will weigh, which of its
outputs repeat, and what each depends on, before anything runs (``app.engine.analysis``).

Exit codes as ``validate``: 0 a valid graph (warnings included), 1 an invalid one (its
problems are the report), 2 a file that cannot be read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from nodes.memory import human_bytes


def register(sub: Any) -> None:
    """Add the ``analyze`` command to the CLI's subparsers."""
    cmd = sub.add_parser("analyze", help="before running a graph file: its models' memory against the budget, "
                         "which outputs repeat, what each depends on; exit 0 valid, 1 invalid, 2 unreadable")
    cmd.add_argument("file", type=Path)
    cmd.add_argument("--json", action="store_true", help="print the full report as JSON")
    cmd.set_defaults(func=cmd_analyze)


def cmd_analyze(args: argparse.Namespace) -> int:
    from app.cli.common import EXIT_INVALID, EXIT_OK, read_document
    from app.engine.analysis import analyze
    from nodes.registry import default_registry

    result = analyze(read_document(args.file), default_registry())
    report = result.report()
    if args.json:
        print(json.dumps(report, indent=2))
    elif not result.ok:
        print(f"{args.file}: {len(report['problems'])} problem(s)")
        for p in report["problems"]:
            print(f"  [{p['code']}] {p['message']}")
    else:
        _print_report(str(args.file), report)
    return EXIT_OK if result.ok else EXIT_INVALID


def _print_report(name: str, report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    device = report["device"]
    free = f", {human_bytes(device['available_bytes'])} free" if device["available_bytes"] is not None else ""
    console.print(f"{name}: valid; analysed for device {device['name']}, whose models sit in {device['memory']}: "
                  f"{human_bytes(device['total_bytes'])}{free}", highlight=False)
    models = Table("node", "model", "dtype", "memory", "estimated from", title="Models")
    for m in report["models"]:
        size = f"shared with {m['shared_with']}" if m["shared_with"] else human_bytes(m["bytes"])
        models.add_row(m["node_id"], m["model"], m["dtype"], size, m["source"] or m["note"])
    models.add_row("total", "", "", human_bytes(report["total_bytes"]), f"model budget {human_bytes(report['budget_bytes'])}")
    console.print(models)
    outputs = Table("output", "deterministic", "inputs", "models", title="Outputs")
    for o in report["outputs"]:
        why = "; ".join(f"{n['node_id']} {n['reason']}" for n in o["nondeterministic"])
        outputs.add_row(o["node_id"], f"no: {why}" if why else "yes", ", ".join(o["inputs"]) or "-",
                        ", ".join(f"{m['node_id']} ({m['model']})" for m in o["models"]) or "-")
    console.print(outputs)
    for w in report["warnings"]:
        where = ", ".join(w.get("nodes") or ([w["node_id"]] if w.get("node_id") else []))
        console.print(f"[yellow]warning {escape('[' + w['code'] + ']')}[/yellow] {escape(w['message'])}"
                      + (f" (nodes: {escape(where)})" if where else ""), highlight=False)

"""Evaluation: run a graph over a dataset of cases and judge its io outputs with checks.

The cases run one after another through ONE executor, so they share its result cache: what
no case changes (a RAG graph's ingest) runs for the first case and is served from the cache
for the others. A case whose run fails is a failed case carrying the node's error, never an
exception. The CLI and the server's evaluation queue both call ``evaluate``; the rules of
the cases format are in docs/decisions.md (Evaluation).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.engine.checks import Check, CheckSpecError, parse_check, run_check
from app.engine.context import CancelToken
from app.engine.events import EventSink
from app.engine.executor import Executor
from app.engine.records import GraphInvalid, RunResult
from app.engine.validate import CheckedGraph
from app.engine.vocabulary import CaseStatus, FailureCode, NodeStatus, RunStatus

ID_COLUMN = "id"
"""The optional column that names a case; without it a case is named by its row number."""
MAX_CASES = 10_000
MAX_SHOWN_TEXT = 4000
"""A text output longer than this is stored cut (the checks saw all of it)."""


class CasesError(ValueError):
    """Cases or checks that cannot be evaluated as given; the message says how to fix them."""


@dataclass(frozen=True)
class Dataset:
    """Cases (one dict of column -> value each) and the checks every case gets."""

    cases: list[dict[str, Any]]
    checks: list[Check]


@dataclass
class CaseResult:
    id: str
    status: CaseStatus
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    checks: list[dict[str, Any]]
    duration_s: float
    run_id: str
    error: dict[str, Any] | None = None
    ran: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "inputs": self.inputs, "outputs": self.outputs,
                "checks": self.checks, "duration_s": self.duration_s, "run_id": self.run_id, "error": self.error,
                "ran": self.ran, "from_cache": self.cached}


@dataclass
class EvaluationResult:
    status: RunStatus
    cases: list[CaseResult]
    checks: list[Check]
    duration_s: float

    @property
    def passed(self) -> int:
        return sum(c.status == CaseStatus.PASSED for c in self.cases)

    def summary(self) -> dict[str, dict[str, Any]]:
        return summarize_checks(self.checks, [c.to_json() for c in self.cases])

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "cases_count": len(self.cases), "passed_count": self.passed,
                "duration_s": self.duration_s, "checks": [c.to_json() for c in self.checks],
                "summary": self.summary(), "results": [c.to_json() for c in self.cases]}


def summarize_checks(checks: Sequence[Check], results: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per check: how many cases it passed, failed and skipped, and its pass rate (of those judged)."""
    out: dict[str, dict[str, Any]] = {}
    for check in checks:
        verdicts = [v for r in results for v in r["checks"] if v["name"] == check.name]
        passed = sum(v["passed"] is True for v in verdicts)
        failed = sum(v["passed"] is False for v in verdicts)
        judged = passed + failed
        out[check.name] = {"output": check.output, "kind": check.kind, CaseStatus.PASSED: passed,
                           CaseStatus.FAILED: failed, "skipped": len(verdicts) - judged,
                           "pass_rate": passed / judged if judged else None}
    return out


# -- reading cases ---------------------------------------------------------------------------


def read_dataset(path: Path, extra_checks: Sequence[Any] = ()) -> Dataset:
    """A dataset from a ``.json``, ``.jsonl`` or ``.csv`` file; OSError if it cannot be read."""
    return parse_dataset(path.read_text(encoding="utf-8"), path.suffix.lower(), extra_checks, name=path.name)


def parse_dataset(text: str, suffix: str, extra_checks: Sequence[Any] = (), *, name: str = "cases") -> Dataset:
    """Cases from the text of a cases file; its checks (a JSON file's) followed by ``extra_checks``."""
    raw_checks: list[Any] = []
    if suffix == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CasesError(f"{name}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            raise CasesError(f"{name}: a JSON cases file is an object {{\"cases\": [...], \"checks\": [...]}}")
        unknown = sorted(set(data) - {"cases", "checks", "description"})
        if unknown:
            raise CasesError(f"{name}: unknown field(s) {', '.join(unknown)}; a cases file has cases, checks, description")
        cases, raw_checks = data["cases"], data.get("checks") or []
        if not isinstance(raw_checks, list):
            raise CasesError(f"{name}: \"checks\" is a list of checks")
    elif suffix == ".jsonl":
        cases = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    cases.append(json.loads(line))
                except ValueError as exc:
                    raise CasesError(f"{name}, line {n}: not valid JSON ({exc})") from None
    elif suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        cases = [dict(row) for row in reader]
        if any(None in row for row in cases):
            raise CasesError(f"{name}: a row has more cells than the header has columns")
    else:
        raise CasesError(f"{name}: a cases file is .json, .jsonl or .csv, not {suffix or 'a file without a suffix'!r}")
    return make_dataset(cases, [*raw_checks, *extra_checks], name=name)


def make_dataset(cases: Sequence[Any], raw_checks: Sequence[Any], *, name: str = "cases") -> Dataset:
    if not cases:
        raise CasesError(f"{name}: no cases; give at least one row")
    if len(cases) > MAX_CASES:
        raise CasesError(f"{name}: {len(cases)} cases, more than the {MAX_CASES} one evaluation takes; split the dataset")
    for n, case in enumerate(cases, 1):
        if not isinstance(case, dict):
            raise CasesError(f"{name}, case {n}: a case is an object of column -> value, not {type(case).__name__}")
    if not raw_checks:
        raise CasesError(f"{name}: no checks; declare them in the file's \"checks\" or with --check")
    try:
        checks = [parse_check(c) for c in raw_checks]
    except CheckSpecError as exc:
        raise CasesError(str(exc)) from None
    names = [c.name for c in checks]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CasesError(f"two checks are named {twice[0]!r}; give one of them a \"name\"")
    return Dataset([dict(c) for c in cases], checks)


def check_against(checked: CheckedGraph, dataset: Dataset) -> None:
    """Refuse a dataset the graph cannot take: a check on no io output, or a column that fills
    no input and feeds no check (a misspelt input would otherwise be silently ignored)."""
    inputs = {nid for nid, n in checked.nodes.items() if n.cls.role == "input"}
    outputs = {nid for nid, n in checked.nodes.items() if n.cls.role == "output"}
    problems = [f"check {c.name!r} names {c.output!r}, which is not an io output of this graph "
                f"(its outputs: {', '.join(sorted(outputs)) or 'none'})" for c in dataset.checks if c.output not in outputs]
    used = inputs | {c.column for c in dataset.checks if c.column} | {ID_COLUMN}
    for n, case in enumerate(dataset.cases, 1):
        stray = sorted(set(case) - used)
        if stray:
            problems.append(f"case {n}: column(s) {', '.join(map(repr, stray))} fill no input and feed no check "
                            f"(the graph's inputs: {', '.join(sorted(inputs)) or 'none'})")
            break
    if problems:
        raise CasesError("; ".join(problems))


# -- running ---------------------------------------------------------------------------------

CaseHook = Callable[[int, int, CaseResult], None]
"""Called after each case: (cases done, cases in all, the case's result)."""


def evaluate(
    executor: Executor,
    checked: CheckedGraph,
    dataset: Dataset,
    *,
    scope: str,
    on_case: CaseHook | None = None,
    on_case_start: Callable[[int, str], None] | None = None,
    on_event: EventSink | None = None,
    cancel: CancelToken | None = None,
    owner_id: str | None = None,
    show: Callable[[Any], Any] | None = None,
) -> EvaluationResult:
    """Run every case through ``executor`` in order and judge its outputs.

    Raises GraphInvalid for a graph with problems and CasesError for a dataset it cannot
    take, before anything runs. ``show`` makes an output JSON-safe for the stored result
    (the server's stores images as artifacts); texts are cut at MAX_SHOWN_TEXT."""
    if not checked.ok:
        raise GraphInvalid(checked.problems, checked)
    check_against(checked, dataset)
    cancel = cancel or CancelToken()
    show = show or plain_json
    inputs_of = {nid for nid, n in checked.nodes.items() if n.cls.role == "input"}
    results: list[CaseResult] = []
    t0 = time.perf_counter()
    status = RunStatus.SUCCEEDED
    for n, case in enumerate(dataset.cases, 1):
        if cancel.cancelled:
            status = RunStatus.CANCELLED
            break
        case_id = str(case.get(ID_COLUMN) or n)
        if on_case_start is not None:
            on_case_start(n, case_id)
        inputs = {k: v for k, v in case.items() if k in inputs_of}
        result = _run_case(executor, checked, dataset.checks, case, case_id, inputs, scope=scope, cancel=cancel,
                           on_event=on_event, owner_id=owner_id, show=show)
        results.append(result)
        if on_case is not None:
            on_case(n, len(dataset.cases), result)
    if cancel.cancelled:
        status = RunStatus.CANCELLED
    return EvaluationResult(status, results, dataset.checks, time.perf_counter() - t0)


def _run_case(executor: Executor, checked: CheckedGraph, checks: Sequence[Check], case: Mapping[str, Any],
              case_id: str, inputs: dict[str, Any], *, scope: str, cancel: CancelToken, on_event: EventSink | None,
              owner_id: str | None, show: Callable[[Any], Any]) -> CaseResult:
    t0 = time.perf_counter()
    try:
        run: RunResult | None = executor.run(checked, inputs, on_event=on_event, cancel=cancel, scope=scope,
                                             owner_id=owner_id)
    except GraphInvalid as exc:  # an input value its node refuses: this case fails, the others go on
        run = None
        error: dict[str, Any] | None = {"code": "bad_input", "message": "; ".join(p.message for p in exc.problems)}
    outputs = run.outputs if run is not None else {}
    if run is not None:
        error = _first_error(run)
    verdicts: list[dict[str, Any]] = []
    for check in checks:
        expected = case.get(check.column) if check.column else check.expected
        if check.column and (expected is None or expected == ""):
            verdicts.append({"name": check.name, "passed": None, "message": f"skipped: no {check.column!r} in this case"})
        elif check.output not in outputs:
            why = error["message"] if error else "the run did not finish"
            verdicts.append({"name": check.name, "passed": False, "message": f"no output {check.output!r}: {why}"})
        else:
            verdict = run_check(check, outputs[check.output], expected)
            verdicts.append({"name": check.name, "passed": verdict.passed, "message": verdict.message})
    ok = error is None and all(v["passed"] is not False for v in verdicts)
    return CaseResult(
        id=case_id, status=CaseStatus.PASSED if ok else CaseStatus.FAILED, inputs=plain_json(inputs),
        outputs={k: _cut(show(v)) for k, v in outputs.items()}, checks=verdicts,
        duration_s=time.perf_counter() - t0, run_id=run.run_id if run is not None else "", error=error,
        ran=run.ran if run is not None else [], cached=run.cached if run is not None else [],
    )


def _first_error(run: RunResult) -> dict[str, Any] | None:
    """The first node failure that is not merely upstream's, as ``{node_id, code, message}``."""
    if run.status == RunStatus.SUCCEEDED:
        return None
    for record in run.nodes.values():
        if record.status == NodeStatus.FAILED and record.error and record.error["code"] != FailureCode.UPSTREAM_FAILED:
            return {"node_id": record.node_id, **record.error}
    return {"code": run.status, "message": f"the run ended {run.status}"}


def plain_json(value: Any) -> Any:
    """``value`` as JSON (what is not JSON, an image or an array, as its type in words)."""
    return json.loads(json.dumps(value, default=lambda o: f"<{type(o).__name__}>"))


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_SHOWN_TEXT:
        return value[:MAX_SHOWN_TEXT] + "…"
    return value

import asyncio
import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from app.api.body import ParsedBodyRoute
from app.api.deps import EvalsDep, OwnerDep, RegistryDep, SessionDep, owner_of
from app.api.errors import ApiError, error_body
from app.api.schemas.common import MAX_INT
from app.api.schemas.evals import (
    EvalAccepted,
    EvalCreate,
    EvalDetail,
    EvalEventPublic,
    EvalPublic,
    EvalsPublic,
)
from app.engine.validate import validate
from app.engine.vocabulary import EvalEventType, RunStatus
from app.services.errors import InvalidGraph
from app.services.evaluation import CasesError, Dataset, make_dataset, parse_dataset
from app.services.graphs import saved_in
from nodes.api import NodeError
from nodes.runtime.paths import resolve_path
from storage import repo
from storage.errors import NotFound
from storage.sqltypes import json_text

router = APIRouter(prefix="/api/evals", tags=["evals"], route_class=ParsedBodyRoute)
graph_router = APIRouter(prefix="/api/graphs", tags=["evals"], route_class=ParsedBodyRoute)
log = logging.getLogger("genaisys.api")
MAX_CASES_FILE_BYTES = 32 * 1024 * 1024


@graph_router.post("/{graph_id}/evals", response_model=EvalAccepted, status_code=202)
def create_evaluation(graph_id: str, body: EvalCreate, session: SessionDep, registry: RegistryDep, evals: EvalsDep,
                      owner: OwnerDep) -> EvalAccepted:
    """Queue an evaluation of a saved graph version over cases (inline, or a file), with checks;
    follow it at ``events_url``, read it at ``url``. 422 for a graph with problems, or cases
    and checks it cannot take; nothing is queued then."""
    graph = repo.get_graph(session, graph_id=graph_id, owner_id=owner)
    version = repo.get_version(session, graph_id=graph_id, number=body.version or graph.latest_version)
    checked = validate(version.document, registry, subgraphs=saved_in(session, owner), graph_id=graph_id)
    number = version.number
    if not checked.ok:
        raise InvalidGraph(f"version {number} of the graph has {len(checked.problems)} problem(s); fix and save it first",
                           checked)
    dataset = _dataset(body)
    session.rollback()  # end the read transaction before the queue writes
    try:
        eval_id = evals.submit(checked, dataset, graph_id=graph_id, version=number, owner_id=owner)
    except CasesError as exc:
        raise ApiError(422, "invalid_cases", str(exc)) from None
    return EvalAccepted(id=eval_id, status=RunStatus.QUEUED, graph_id=graph_id, version=number,
                        url=f"/api/evals/{eval_id}", events_url=f"/api/evals/{eval_id}/events")


def _dataset(body: EvalCreate) -> Dataset:
    checks = [c.model_dump(exclude_none=True) | ({"expected": c.expected} if "expected" in c.model_fields_set else {})
              for c in body.checks]
    try:
        if (body.cases is None) == (body.file is None):
            raise CasesError("give the cases inline (\"cases\") or a cases file (\"file\"), one of the two")
        if body.cases is not None:
            return make_dataset(body.cases, checks)
        path = _cases_file(body.file or "")
        return parse_dataset(path.read_text(encoding="utf-8"), path.suffix.lower(), checks, name=Path(body.file or "").name)
    except CasesError as exc:
        raise ApiError(422, "invalid_cases", str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ApiError(422, "invalid_cases", f"the cases file cannot be read ({type(exc).__name__})") from None


def _cases_file(given: str) -> Path:
    """The cases file ``given`` names, through the same fence as every path a graph reads."""
    try:
        path = resolve_path(given, what="cases file", must_be="file")
    except NodeError as exc:
        raise ApiError(422, "invalid_cases", str(exc)) from None
    if path.stat().st_size > MAX_CASES_FILE_BYTES:
        raise ApiError(413, "too_large", f"the cases file is over {MAX_CASES_FILE_BYTES // 1024**2} MiB; split it")
    return path


@graph_router.get("/{graph_id}/evals", response_model=EvalsPublic)
def list_evaluations(graph_id: str, session: SessionDep, owner: OwnerDep,
                     version: int | None = Query(None, ge=1, le=MAX_INT), limit: int = Query(50, ge=1, le=500),
                     offset: int = Query(0, ge=0, le=MAX_INT)) -> EvalsPublic:
    """A graph's evaluations, newest first (of one version with ``version``), without per-case results."""
    repo.get_graph(session, graph_id=graph_id, owner_id=owner)
    rows, count = repo.list_evaluations(session, graph_id=graph_id, version=version, owner_id=owner,
                                        limit=limit, offset=offset)
    return EvalsPublic(data=[EvalPublic.model_validate(r) for r in rows], count=count)


@router.get("/{evaluation_id}", response_model=EvalDetail)
def read_evaluation(evaluation_id: str, session: SessionDep, owner: OwnerDep) -> EvalDetail:
    """An evaluation with every finished case's result (those so far, while it runs)."""
    return EvalDetail.model_validate(repo.get_evaluation(session, evaluation_id=evaluation_id, owner_id=owner))


@router.post("/{evaluation_id}/cancel", response_model=EvalPublic)
def cancel_evaluation(evaluation_id: str, session: SessionDep, evals: EvalsDep, owner: OwnerDep) -> EvalPublic:
    """Stop a queued or running evaluation; the cases that finished stay."""
    row = repo.get_evaluation(session, evaluation_id=evaluation_id, owner_id=owner, with_results=False)
    if not evals.cancel(evaluation_id):
        raise ApiError(409, "not_running", f"evaluation {evaluation_id!r} is {row.status}; only a queued or running "
                       "one can be cancelled")
    return EvalPublic.model_validate(row)


@router.get("/{evaluation_id}/events", response_model=list[EvalEventPublic])
def list_evaluation_events(evaluation_id: str, session: SessionDep, evals: EvalsDep, owner: OwnerDep) -> list[dict[str, Any]]:
    """The evaluation's events so far: what the websocket at this address sends first (for
    clients that poll); a finished evaluation's is its ``evaluation_finished`` alone."""
    row = repo.get_evaluation(session, evaluation_id=evaluation_id, owner_id=owner, with_results=False)
    live = evals.live(evaluation_id)
    if live is not None:
        return live.snapshot()
    return [] if row.status in (RunStatus.QUEUED, RunStatus.RUNNING) else [_finished(row)]  # open: on another replica


def _finished(row: Any) -> dict[str, Any]:
    return {"type": EvalEventType.EVALUATION_FINISHED, "evaluation_id": row.id, "seq": 1,
            "data": {"status": row.status, "cases": row.cases_count, "done": row.done_count, "passed": row.passed_count}}


EVAL_POLL_S = 0.5
"""How often a watcher of an evaluation another replica runs reads its row."""


@router.websocket("/{evaluation_id}/events")
async def evaluation_events(websocket: WebSocket, evaluation_id: str, evals: EvalsDep) -> None:
    """What happened so far (``evaluation_started``, ``case_started``, ``case_finished``), then
    live events until ``evaluation_finished``; each message a JSON array of events, as for runs.
    A finished evaluation answers its ``evaluation_finished`` alone."""
    await websocket.accept()
    owner = owner_of(websocket) if websocket.app.state.settings.auth else None
    try:
        row = await asyncio.to_thread(_read, evals, evaluation_id, owner)
    except NotFound:
        await websocket.send_json(error_body("not_found", f"no evaluation with id {evaluation_id!r}"))
        await websocket.close(code=4404)
        return
    live = evals.live(evaluation_id)
    if live is None:  # ended, or another replica runs it: its end, once its row says so
        while row.status in (RunStatus.QUEUED, RunStatus.RUNNING):
            await asyncio.sleep(EVAL_POLL_S)
            row = await asyncio.to_thread(_read, evals, evaluation_id, owner)
        await websocket.send_text(json_text([_finished(row)]))
        await websocket.close()
        return
    watcher = live.watch(asyncio.get_running_loop())
    try:
        ended = False
        while not ended:
            batch, ended = await watcher.next()
            if batch:
                await websocket.send_text(json_text(batch))
        await websocket.close()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        live.unwatch(watcher)


def _read(evals: Any, evaluation_id: str, owner: str | None) -> Any:
    with evals.sessions() as session:
        return repo.get_evaluation(session, evaluation_id=evaluation_id, owner_id=owner, with_results=False)

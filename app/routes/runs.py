import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.deps import OwnerDep, RegistryDep, RunsDep, SessionDep, get_owner
from app.engine.executor import GraphInvalid
from app.engine.validate import validate
from app.errors import ApiError, error_body
from app.runs import RunManager, TooManyQueued
from app.schemas import (
    MAX_INT,
    NodeResultPublic,
    RunAccepted,
    RunCreate,
    RunDetail,
    RunPublic,
    RunsPublic,
)
from storage import repo
from storage.errors import NotFound

router = APIRouter(prefix="/api/runs", tags=["runs"])
graph_router = APIRouter(prefix="/api/graphs", tags=["graphs"])
log = logging.getLogger("genaisys.api")


def run_public(run: Any) -> dict[str, Any]:
    return {
        "id": run.id, "graph_id": run.graph_id, "graph_version": run.graph_version_number,
        "status": run.status, "inputs": run.inputs or {}, "created_at": run.created_at,
        "started_at": run.started_at, "finished_at": run.finished_at, "duration_s": run.duration_s,
        "error": run.error, "outputs": run.outputs,
    }


def submit(runs: RunManager, checked: Any, inputs: dict[str, Any], **where: Any) -> str:
    """Queue a checked graph: 422 for inputs its input nodes refuse, 429 when the owner
    already has the most runs waiting (nothing is recorded then)."""
    try:
        return runs.submit(checked, inputs, **where)
    except GraphInvalid as exc:
        raise ApiError(422, "invalid_inputs", str(exc), {"problems": [p.to_json() for p in exc.problems]}) from None
    except TooManyQueued as exc:
        raise ApiError(429, "too_many_runs", str(exc), {"waiting": exc.waiting, "limit": exc.limit}) from None


@router.post("", response_model=RunAccepted, status_code=202)
def create_run(body: RunCreate, session: SessionDep, registry: RegistryDep, runs: RunsDep, owner: OwnerDep) -> RunAccepted:
    """Queue a run of a saved graph version, or of a document (with ``graph_id``: an unsaved
    edit of that graph, listed in its runs). 422 with the validator's full report if the
    graph or the inputs are not valid; nothing is queued then."""
    graph_id, version_id = body.graph_id, None
    if body.document is not None:
        if body.version is not None:
            raise ApiError(422, "invalid_request", "give a version to run a saved version, or a document, not both")
        if body.graph_id is not None:  # an edited, unsaved state of a saved graph: kept in its history
            repo.get_graph(session, graph_id=body.graph_id, owner_id=owner)
        document = body.document
    elif body.graph_id is not None:
        graph = repo.get_graph(session, graph_id=body.graph_id, owner_id=owner)
        version = repo.get_version(session, graph_id=graph.id, number=body.version or graph.latest_version)
        document, version_id = version.document, version.id
    else:
        raise ApiError(422, "invalid_request", "give graph_id (and optionally version) or a document to run")
    session.rollback()  # end the read transaction before the run manager writes
    checked = validate(document, registry)
    if not checked.ok:
        raise ApiError(422, "invalid_graph", f"the graph has {len(checked.problems)} problem(s); nothing ran", checked.report())
    run_id = submit(runs, checked, body.inputs, document=document, graph_id=graph_id, graph_version_id=version_id,
                    owner_id=owner)
    return RunAccepted(id=run_id, status="queued", events_url=f"/api/runs/{run_id}/events")


@router.get("", response_model=RunsPublic)
def list_runs(session: SessionDep, owner: OwnerDep, graph_id: str | None = None, limit: int = Query(50, ge=1, le=500),
              offset: int = Query(0, ge=0, le=MAX_INT)) -> RunsPublic:
    """Runs, newest first; of one graph with ``graph_id``."""
    items, count = repo.list_runs(session, graph_id=graph_id, limit=limit, offset=offset, owner_id=owner)
    return RunsPublic(data=[RunPublic(**run_public(r)) for r in items], count=count)


@router.get("/{run_id}", response_model=RunDetail)
def read_run(run_id: str, session: SessionDep, owner: OwnerDep) -> RunDetail:
    """A run with every node's result."""
    run = repo.get_run(session, run_id=run_id, owner_id=owner)
    nodes = [NodeResultPublic(node_id=n.node_id, type=n.type, status=n.status, reason=n.reason, cache_key=n.cache_key,
                              started_at=n.started_at, duration_s=n.duration_s, outputs=n.outputs, error=n.error,
                              provenance=n.provenance) for n in run.node_results]
    return RunDetail(**run_public(run), nodes=nodes, provenance=run.provenance)


@router.post("/{run_id}/cancel", response_model=RunPublic)
def cancel_run(run_id: str, session: SessionDep, runs: RunsDep, owner: OwnerDep) -> RunPublic:
    """Ask a queued or running run to stop; a queued one ends ``cancelled`` at once, a
    running one between or inside nodes."""
    run = repo.get_run(session, run_id=run_id, owner_id=owner)
    session.rollback()  # end the read transaction: a waiting run is settled right here
    if not runs.cancel(run_id):
        raise ApiError(409, "not_running", f"run {run_id!r} is {run.status}; only a queued or running run can be cancelled")
    return RunPublic(**run_public(run))


@router.websocket("/{run_id}/events")
async def run_events(websocket: WebSocket, run_id: str, runs: RunsDep) -> None:
    """Everything that already happened in the run, then live events until ``run_finished``."""
    await websocket.accept()
    if websocket.app.state.settings.auth:  # another user's run: as if it did not exist
        try:
            await asyncio.to_thread(_owned_run, runs, run_id, get_owner(websocket))
        except NotFound:
            await websocket.send_json(error_body("not_found", f"no run with id {run_id!r}"))
            await websocket.close(code=4404)
            return
    live = runs.live(run_id)
    if live is None:  # finished before this process started, or long ago: replay the record
        try:
            events = await asyncio.to_thread(_stored_events, runs, run_id)
        except NotFound:
            await websocket.send_json(error_body("not_found", f"no run with id {run_id!r}"))
            await websocket.close(code=4404)
            return
        for event in events:
            await websocket.send_json(event)
        await websocket.close()
        return
    q = live.watch(asyncio.get_running_loop())
    try:
        while (event := await q.get()) is not None:
            await websocket.send_json(event)
        await websocket.close()
    except (WebSocketDisconnect, RuntimeError):
        pass
    except (TypeError, ValueError):  # an event that is not JSON: a bug, logged; the watcher is closed
        log.exception("run %s: an event could not be sent", run_id)
        await websocket.close(code=1011)
    finally:
        live.unwatch(q)


def _owned_run(runs: Any, run_id: str, owner: str | None) -> None:
    with runs.sessions() as session:
        repo.get_run(session, run_id=run_id, owner_id=owner)


def _stored_events(runs: Any, run_id: str) -> list[dict[str, Any]]:
    with runs.sessions() as session:
        run = repo.get_run(session, run_id=run_id)
        events = [e.to_json() for e in repo.list_run_events(session, run_id=run_id)]
        if not any(e["type"] == "run_finished" for e in events):  # interrupted by a crash
            events.append({"type": "run_finished", "run_id": run_id, "seq": len(events) + 1,
                           "data": {"status": run.status}})
        return events


class GraphRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inputs: dict[str, Any] = Field(default_factory=dict, description="io input node id -> value")
    version: int | None = Field(None, ge=1, le=MAX_INT, description="a version; the latest if unset")
    timeout_s: float = Field(30.0, ge=0, le=600, description="how long to wait for the outputs")


class GraphRunResult(BaseModel):
    run_id: str
    status: str
    outputs: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    run_url: str
    events_url: str


@graph_router.post("/{graph_id}/run", response_model=GraphRunResult,
                   responses={202: {"model": GraphRunResult, "description": "still running after timeout_s"}})
async def run_graph(graph_id: str, body: GraphRun, registry: RegistryDep, runs: RunsDep, owner: OwnerDep) -> Any:
    """Run a saved graph as an API: inputs in, outputs out. Waits up to ``timeout_s``; a run
    still going then answers 202 with its id to poll (``GET /api/runs/{id}``)."""
    def prepare() -> tuple[str, Any, Any]:
        with runs.sessions() as session:
            graph = repo.get_graph(session, graph_id=graph_id, owner_id=owner)
            version = repo.get_version(session, graph_id=graph_id, number=body.version or graph.latest_version)
            return version.id, version.document, version.number

    version_id, document, _ = await asyncio.to_thread(prepare)
    checked = validate(document, registry)
    if not checked.ok:
        raise ApiError(422, "invalid_graph", f"the saved graph has {len(checked.problems)} problem(s); fix and save it first",
                       checked.report())
    run_id = submit(runs, checked, body.inputs, document=document, graph_id=graph_id, graph_version_id=version_id,
                    owner_id=owner)
    live = runs.live(run_id)
    if live is not None:
        q = live.watch(asyncio.get_running_loop())
        try:
            await asyncio.wait_for(_drain(q), timeout=body.timeout_s)
        except TimeoutError:
            pass
        finally:
            live.unwatch(q)
    run = await asyncio.to_thread(_read_run, runs, run_id)
    result = GraphRunResult(run_id=run_id, status=run.status, outputs=run.outputs, error=run.error,
                            run_url=f"/api/runs/{run_id}", events_url=f"/api/runs/{run_id}/events")
    if run.status in ("queued", "running"):
        return JSONResponse(result.model_dump(), status_code=202)
    return result


async def _drain(q: asyncio.Queue[Any]) -> None:
    while await q.get() is not None:
        pass


def _read_run(runs: Any, run_id: str) -> Any:
    with runs.sessions() as session:
        return repo.get_run(session, run_id=run_id)

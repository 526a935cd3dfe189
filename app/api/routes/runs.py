import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from app.api.body import ParsedBodyRoute
from app.api.deps import OwnerDep, RegistryDep, RunsDep, SessionDep, owner_of
from app.api.errors import ApiError, error_body
from app.api.schemas.common import MAX_INT
from app.api.schemas.runs import (
    GraphRun,
    GraphRunResult,
    ReplayAccepted,
    RunAccepted,
    RunCreate,
    RunDetail,
    RunEventPublic,
    RunPublic,
    RunsPublic,
)
from app.engine.vocabulary import EventType, RunStatus
from app.services.graphs import submit_run
from app.services.live_run import Watcher
from app.services.replay import plan_replay
from storage import repo
from storage.errors import NotFound
from storage.sqltypes import json_text

router = APIRouter(prefix="/api/runs", tags=["runs"], route_class=ParsedBodyRoute)
graph_router = APIRouter(prefix="/api/graphs", tags=["graphs"], route_class=ParsedBodyRoute)
log = logging.getLogger("genaisys.api")


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
        version_id, document = repo.version_to_run(session, graph_id=body.graph_id, number=body.version, owner_id=owner)
    else:
        raise ApiError(422, "invalid_request", "give graph_id (and optionally version) or a document to run")
    session.rollback()  # end the read transaction before the run manager writes
    run_id = submit_run(runs, registry, document, body.inputs, graph_id=graph_id, graph_version_id=version_id,
                        owner_id=owner)
    return RunAccepted(id=run_id, status=RunStatus.QUEUED, events_url=f"/api/runs/{run_id}/events")


@router.get("", response_model=RunsPublic)
def list_runs(session: SessionDep, owner: OwnerDep, graph_id: str | None = None, limit: int = Query(50, ge=1, le=500),
              offset: int = Query(0, ge=0, le=MAX_INT)) -> RunsPublic:
    """Runs, newest first; of one graph with ``graph_id``."""
    items, count = repo.list_runs(session, graph_id=graph_id, limit=limit, offset=offset, owner_id=owner)
    return RunsPublic(data=[RunPublic.model_validate(r) for r in items], count=count)


@router.get("/{run_id}", response_model=RunDetail)
def read_run(run_id: str, session: SessionDep, owner: OwnerDep) -> RunDetail:
    """A run with every node's result."""
    run = repo.get_run(session, run_id=run_id, owner_id=owner)
    return RunDetail.model_validate(run)


@router.post("/{run_id}/replay", response_model=ReplayAccepted, status_code=202)
def replay_run(run_id: str, session: SessionDep, registry: RegistryDep, runs: RunsDep, owner: OwnerDep) -> ReplayAccepted:
    """Run a stored run again as it ran (its document, inputs, params and seeds), past the
    result cache; its provenance ends with each node's verdict, ``identical`` or ``differs``
    and why. 409 ``replay_impossible`` when a model the run used is gone."""
    plan = plan_replay(session, run_id=run_id, owner_id=owner)
    session.rollback()  # end the read transaction before the run manager writes
    new_id = submit_run(runs, registry, plan.document, plan.inputs, graph_id=plan.graph_id,
                        graph_version_id=plan.graph_version_id, owner_id=plan.owner_id, replay=plan,
                        invalid="the stored run's graph has {n} problem(s) with the nodes installed now; nothing ran")
    return ReplayAccepted(id=new_id, status=RunStatus.QUEUED, events_url=f"/api/runs/{new_id}/events",
                          replay_of=plan.of, preflight=plan.preflight)


@router.get("/{run_id}/events", response_model=list[RunEventPublic])
def list_run_events(run_id: str, session: SessionDep, runs: RunsDep, owner: OwnerDep) -> list[dict[str, Any]]:
    """The run's events so far, in order: what the websocket at this address replays before
    it follows live (for clients that poll)."""
    run = repo.get_run(session, run_id=run_id, owner_id=owner)
    live = runs.live(run_id)
    return live.snapshot() if live is not None else _record(session, run)


@router.post("/{run_id}/cancel", response_model=RunPublic)
def cancel_run(run_id: str, session: SessionDep, runs: RunsDep, owner: OwnerDep) -> RunPublic:
    """Ask a queued or running run to stop; a queued one ends ``cancelled`` at once, a
    running one between or inside nodes."""
    run = repo.get_run(session, run_id=run_id, owner_id=owner)
    session.rollback()  # end the read transaction: a waiting run is settled right here
    if runs.cancel(run_id):
        return RunPublic.model_validate(run)
    with session.begin():  # held by another replica: its heartbeat sees the request and stops it
        asked = run.status in OPEN and runs.live(run_id) is None and repo.request_cancel(session, run_id=run_id)
    if not asked:
        raise ApiError(409, "not_running", f"run {run_id!r} is {run.status}; only a queued or running run can be cancelled")
    return RunPublic.model_validate(run)


OPEN = (RunStatus.QUEUED, RunStatus.RUNNING)

REPLAY_BATCH = 500
"""Most stored events one websocket message replays."""


@router.websocket("/{run_id}/events")
async def run_events(websocket: WebSocket, run_id: str, runs: RunsDep) -> None:
    """Everything that already happened in the run, then live events until ``run_finished``.

    Each message is a JSON array of events in order: all that were waiting when it was sent
    (one, while a slow node works; hundreds, while a big graph's quick nodes settle). A message
    per event made a 2,000-node run spend more time sending than running."""
    await websocket.accept()
    if websocket.app.state.settings.auth:  # another user's run: as if it did not exist
        try:
            await asyncio.to_thread(_owned_run, runs, run_id, owner_of(websocket))
        except NotFound:
            await websocket.send_json(error_body("not_found", f"no run with id {run_id!r}"))
            await websocket.close(code=4404)
            return
    live = runs.live(run_id)
    if live is None:  # another replica's run, or one that ended: follow its record
        try:
            await _follow_record(websocket, runs, run_id)
        except NotFound:
            await websocket.send_json(error_body("not_found", f"no run with id {run_id!r}"))
            await websocket.close(code=4404)
        except (WebSocketDisconnect, RuntimeError):
            pass
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
    except (TypeError, ValueError):  # an event that is not JSON: a bug, logged; the watcher is closed
        log.exception("run %s: an event could not be sent", run_id)
        await websocket.close(code=1011)
    finally:
        live.unwatch(watcher)


FOLLOW_POLL_S = 0.25
"""How often a watcher of another replica's run reads its stored events (written as often)."""


async def _follow_record(websocket: WebSocket, runs: Any, run_id: str) -> None:
    """Send a run's stored events as they are written, until its row says it ended: a run
    that ended long ago in one go; a run another replica executes (on one database) as it
    goes, a quarter second behind, without its ``node_progress`` ticks (never stored). When
    that replica dies, the run ends ``interrupted`` once a survivor settles it."""
    seq = 0
    while True:
        status, events = await asyncio.to_thread(_stored_since, runs, run_id, seq)
        finished = any(e["type"] == EventType.RUN_FINISHED for e in events)  # committed since the status was read
        ended = finished or status not in OPEN
        if ended and not finished:
            events.append({"type": EventType.RUN_FINISHED, "run_id": run_id, "seq": (events[-1]["seq"] if events else seq) + 1,
                           "data": {"status": status}})  # made up for a run a crash cut off
        for start in range(0, len(events), REPLAY_BATCH):
            await websocket.send_text(json_text(events[start:start + REPLAY_BATCH]))
        if ended:
            await websocket.close()
            return
        seq = events[-1]["seq"] if events else seq
        await asyncio.sleep(FOLLOW_POLL_S)


def _stored_since(runs: Any, run_id: str, seq: int) -> tuple[str, list[dict[str, Any]]]:
    """A run's status, then its events after ``seq`` (read in this order, an ended run's are all there)."""
    with runs.sessions() as session, session.begin():
        status = repo.get_run_status(session, run_id=run_id)
        return status, [e.to_json() for e in repo.list_run_events(session, run_id=run_id, after_seq=seq)]


def _owned_run(runs: Any, run_id: str, owner: str | None) -> None:
    with runs.sessions() as session:
        repo.get_run(session, run_id=run_id, owner_id=owner)


def _record(session: Any, run: Any) -> list[dict[str, Any]]:
    """A run's stored events, ending with ``run_finished`` once it ended (made up for a run a
    crash cut off)."""
    events = [e.to_json() for e in repo.list_run_events(session, run_id=run.id)]
    if run.status not in OPEN and not any(e["type"] == EventType.RUN_FINISHED for e in events):
        events.append({"type": EventType.RUN_FINISHED, "run_id": run.id, "seq": len(events) + 1,
                       "data": {"status": run.status}})
    return events


@graph_router.post("/{graph_id}/run", response_model=GraphRunResult,
                   responses={202: {"model": GraphRunResult, "description": "still running after timeout_s"}})
async def run_graph(graph_id: str, body: GraphRun, registry: RegistryDep, runs: RunsDep, owner: OwnerDep) -> Any:
    """Run a saved graph as an API: inputs in, outputs out. Waits up to ``timeout_s``; a run
    still going then answers 202 with its id to poll (``GET /api/runs/{id}``)."""
    def submit() -> str:  # on a worker thread, as a sync route's work is: it reads and writes the database
        with runs.sessions() as session:
            version_id, document = repo.version_to_run(session, graph_id=graph_id, number=body.version, owner_id=owner)
        return submit_run(runs, registry, document, body.inputs, graph_id=graph_id, graph_version_id=version_id,
                          owner_id=owner, invalid="the saved graph has {n} problem(s); fix and save it first")

    run_id = await asyncio.to_thread(submit)
    live = runs.live(run_id)
    if live is not None:
        watcher = live.watch(asyncio.get_running_loop(), end_only=True)  # the outputs, not the events
        try:
            await asyncio.wait_for(_drain(watcher), timeout=body.timeout_s)
        except TimeoutError:
            pass
        finally:
            live.unwatch(watcher)
    if live is not None and live.ended is not None:  # as committed: no need to read it back
        status, outputs, error = live.ended
    else:
        status, outputs, error = await asyncio.to_thread(_read_outcome, runs, run_id)
    result = GraphRunResult(run_id=run_id, status=status, outputs=outputs, error=error,
                            run_url=f"/api/runs/{run_id}", events_url=f"/api/runs/{run_id}/events")
    # built as the schema says, and sent as it is: the response model's second validation and
    # encoding cost a small run a tenth of its time
    return Response(result.model_dump_json(), status_code=202 if status in OPEN else 200,
                    media_type="application/json")


async def _drain(watcher: Watcher) -> None:
    while not (await watcher.next())[1]:
        pass


def _read_outcome(runs: Any, run_id: str) -> tuple[str, Any, Any]:
    with runs.sessions() as session:
        return repo.run_outcome(session, run_id=run_id)

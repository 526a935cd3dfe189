from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.api.body import ParsedBodyRoute
from app.api.deps import OwnerDep, RegistryDep, SessionDep, SubgraphsDep
from app.api.errors import ApiError
from app.api.schemas.common import MAX_INT
from app.api.schemas.graphs import (
    GraphCreate,
    GraphDetail,
    GraphPublic,
    GraphRestore,
    GraphsPublic,
    GraphUpdate,
    VersionDetail,
    VersionPublic,
    VersionsPublic,
    graph_detail,
)
from app.services.graphs import checked_for_save
from storage import repo
from storage.errors import VersionConflict

router = APIRouter(prefix="/api/graphs", tags=["graphs"], route_class=ParsedBodyRoute)
VersionNumber = Annotated[int, Path(ge=1, le=MAX_INT)]

@router.get("", response_model=GraphsPublic)
def list_graphs(session: SessionDep, owner: OwnerDep, search: str | None = Query(None, max_length=200), include_deleted: bool = False,
                limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_INT)) -> GraphsPublic:
    """Saved graphs, most recently changed first."""
    items, count = repo.list_graphs(session, include_deleted=include_deleted, search=search, limit=limit, offset=offset,
                                    owner_id=owner)
    return GraphsPublic(data=[GraphPublic.model_validate(g) for g in items], count=count)


@router.post("", response_model=GraphDetail, status_code=201)
def create_graph(body: GraphCreate, session: SessionDep, registry: RegistryDep, owner: OwnerDep,
                 subgraphs: SubgraphsDep) -> GraphDetail:
    """Save a new graph as its version 1."""
    checked = checked_for_save(body.document, registry, subgraphs=subgraphs)
    with session.begin():
        graph, version = repo.create_graph(session, name=checked.name or "Untitled graph",
                                           description=str(body.document.get("description", "")),
                                           document=body.document, message=body.message, owner_id=owner)
        return graph_detail(graph, version, checked, registry)


@router.get("/{graph_id}", response_model=GraphDetail)
def read_graph(graph_id: str, session: SessionDep, registry: RegistryDep, owner: OwnerDep,
               subgraphs: SubgraphsDep) -> GraphDetail:
    """A graph with its latest version's document."""
    graph = repo.get_graph(session, graph_id=graph_id, include_deleted=True, owner_id=owner)
    version = repo.get_version(session, graph_id=graph_id, number=graph.latest_version)
    return graph_detail(graph, version, None, registry, subgraphs)


@router.put("/{graph_id}", response_model=GraphDetail)
def update_graph(graph_id: str, body: GraphUpdate, session: SessionDep, registry: RegistryDep, owner: OwnerDep,
                 subgraphs: SubgraphsDep) -> GraphDetail:
    """Save a new version. 409 if another save landed after ``based_on``: nothing is lost,
    the rejected document comes back in the error's details."""
    checked = checked_for_save(body.document, registry, subgraphs=subgraphs, graph_id=graph_id)
    try:
        with session.begin():
            repo.get_graph(session, graph_id=graph_id, owner_id=owner)
            version = repo.save_version(session, graph_id=graph_id, document=body.document,
                                        based_on=body.based_on, message=body.message)
            graph = repo.update_graph_meta(session, graph_id=graph_id, name=checked.name or None,
                                           description=str(body.document.get("description", "")))
            return graph_detail(graph, version, checked, registry)
    except VersionConflict as exc:
        raise ApiError(409, "version_conflict",
                       f"version {exc.current} was saved after version {exc.based_on}, which this edit started from; "
                       "reload the graph, or save your document as a copy",
                       {"current": exc.current, "based_on": exc.based_on, "document": body.document}) from None


@router.delete("/{graph_id}", status_code=204)
def delete_graph(graph_id: str, session: SessionDep, owner: OwnerDep) -> Response:
    """Move a graph to the bin (recoverable); its runs stay."""
    with session.begin():
        repo.get_graph(session, graph_id=graph_id, owner_id=owner)
        repo.soft_delete_graph(session, graph_id=graph_id)
    return Response(status_code=204)


@router.post("/{graph_id}/undelete", response_model=GraphPublic)
def undelete_graph(graph_id: str, session: SessionDep, owner: OwnerDep) -> GraphPublic:
    """Bring a deleted graph back."""
    with session.begin():
        repo.get_graph(session, graph_id=graph_id, include_deleted=True, owner_id=owner)
        return GraphPublic.model_validate(repo.undelete_graph(session, graph_id=graph_id))


@router.get("/{graph_id}/versions", response_model=VersionsPublic)
def list_versions(graph_id: str, session: SessionDep, owner: OwnerDep) -> VersionsPublic:
    """Every saved version, newest first."""
    repo.get_graph(session, graph_id=graph_id, include_deleted=True, owner_id=owner)
    versions = repo.list_versions(session, graph_id=graph_id)
    data = [VersionPublic(number=v.number, message=v.message, created_at=v.created_at) for v in versions]
    return VersionsPublic(data=data, count=len(data))


@router.get("/{graph_id}/versions/{number}", response_model=VersionDetail)
def read_version(graph_id: str, number: VersionNumber, session: SessionDep, owner: OwnerDep) -> VersionDetail:
    """One version's document."""
    repo.get_graph(session, graph_id=graph_id, include_deleted=True, owner_id=owner)
    v = repo.get_version(session, graph_id=graph_id, number=number)
    return VersionDetail(graph_id=graph_id, number=v.number, message=v.message, created_at=v.created_at, document=v.document)


@router.post("/{graph_id}/versions/{number}/restore", response_model=GraphDetail)
def restore_version(graph_id: str, number: VersionNumber, session: SessionDep, registry: RegistryDep, owner: OwnerDep,
                    body: GraphRestore | None = None) -> GraphDetail:
    """Make an old version the latest again, as a new version that copies it."""
    with session.begin():
        repo.get_graph(session, graph_id=graph_id, owner_id=owner)
        version = repo.restore_version(session, graph_id=graph_id, number=number, message=body.message if body else None)
        graph = repo.get_graph(session, graph_id=graph_id)
        return graph_detail(graph, version, None, registry)

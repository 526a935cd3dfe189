"""Graphs as files: export a version as a ``genaisys.graph/1`` document, import one back
(migrated to this installation's node versions, with what it lacks reported)."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from app.api.body import ParsedBodyRoute
from app.api.deps import OwnerDep, RegistryDep, SessionDep, SubgraphsDep
from app.api.schemas.common import MAX_INT
from app.api.schemas.graphs import ImportReport, graph_detail
from app.engine.migrate import stamp_versions
from app.services.graphs import bundle_of, import_document
from storage import repo

router = APIRouter(prefix="/api/graphs", tags=["graphs"], route_class=ParsedBodyRoute)


def file_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "graph"
    return f"{stem[:80]}.genaisys.json"


@router.get("/{graph_id}/export", response_class=Response)
def export_graph(graph_id: str, session: SessionDep, registry: RegistryDep, owner: OwnerDep, subgraphs: SubgraphsDep,
                 version: int | None = Query(None, ge=1, le=MAX_INT, description="a version; the latest if unset")) -> Response:
    """The graph's document as a file to download, each node stamped with its version, with
    the saved graphs its subgraph nodes run (nested ones too) bundled in ``graphs``."""
    graph = repo.get_graph(session, graph_id=graph_id, include_deleted=True, owner_id=owner)
    v = repo.get_version(session, graph_id=graph_id, number=version or graph.latest_version)
    document = stamp_versions(v.document, registry)
    bundle = bundle_of(document, subgraphs)
    if bundle:
        document["graphs"] = [{**entry, "document": stamp_versions(entry["document"], registry)} for entry in bundle]
    body = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)  # strict JSON
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{file_name(_named(v.document, graph.name))}"'})


def _named(document: dict, fallback: str) -> str:
    """The file is named after the exported version's own name, as it was when saved."""
    name = document.get("name")
    return name if isinstance(name, str) and name.strip() else fallback


@router.post("/import", response_model=ImportReport, status_code=201)
def import_graph(session: SessionDep, registry: RegistryDep, owner: OwnerDep, document: dict[str, Any] = Body(...)) -> ImportReport:  # noqa: B008
    """Save a graph file as a new graph. Old node versions are upgraded; node types and models
    this installation lacks are listed with what to install, and the rest opens as usual."""
    with session.begin():
        imported = import_document(session, registry, document, "imported", owner_id=owner)
        return ImportReport(graph=graph_detail(imported.graph, imported.version, imported.checked, registry),
                            migrated=imported.migrated, missing=imported.missing)

from typing import Any

from fastapi import APIRouter, Body

from app.api.body import ParsedBodyRoute
from app.api.deps import RegistryDep, SubgraphsDep
from app.api.schemas.validation import ValidationReport
from app.engine.validate import validate

router = APIRouter(prefix="/api/validate", tags=["validate"], route_class=ParsedBodyRoute)


@router.post("", response_model=ValidationReport)
def validate_graph(registry: RegistryDep, subgraphs: SubgraphsDep, document: Any = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Check a graph document; always 200, with every problem pinned to its node and port
    (a subgraph's inner problems listed on its node)."""
    return validate(document, registry, subgraphs=subgraphs).report()

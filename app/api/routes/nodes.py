from typing import Any

from fastapi import APIRouter

from app.api.body import ParsedBodyRoute
from app.api.deps import RegistryDep
from app.api.schemas.catalog import Catalog

router = APIRouter(prefix="/api/nodes", tags=["nodes"], route_class=ParsedBodyRoute)


@router.get("", response_model=Catalog, response_model_exclude_unset=True)
def read_catalog(registry: RegistryDep) -> dict[str, Any]:
    """The node catalog: every node's ports and params, the types with their colours and the
    data of the type rule (argument kinds, widenings, lifting) that the canvas applies."""
    return registry.catalog()

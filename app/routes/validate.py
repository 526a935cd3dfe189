from typing import Any

from fastapi import APIRouter, Body

from app.deps import RegistryDep
from app.engine.validate import validate
from app.schemas import ValidationReport

router = APIRouter(prefix="/api/validate", tags=["validate"])


@router.post("", response_model=ValidationReport)
def validate_graph(registry: RegistryDep, document: Any = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Check a graph document; always 200, with every problem pinned to its node and port."""
    return validate(document, registry).report()

from typing import Any

from fastapi import APIRouter, Body

from app.api.body import ParsedBodyRoute
from app.api.deps import RegistryDep, SettingsDep, SubgraphsDep
from app.api.schemas.analysis import AnalysisReport
from app.engine.analysis import analyze

router = APIRouter(prefix="/api/analyze", tags=["analyze"], route_class=ParsedBodyRoute)


@router.post("", response_model=AnalysisReport)
def analyze_graph(registry: RegistryDep, subgraphs: SubgraphsDep, settings: SettingsDep,
                  document: Any = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Analyse a graph document before running it: each model's memory against the budget,
    each output's determinism and lineage; an invalid graph answers its problems (always 200)."""
    return analyze(document, registry, subgraphs=subgraphs, budget_bytes=settings.model_budget_bytes).report()

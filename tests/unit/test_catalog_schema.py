"""`GET /api/nodes`, the payload the canvas lives on, has a response schema in the OpenAPI
document, and that schema describes every field the registry's catalog carries: the payload
round-trips through it unchanged (a key added to the catalog and not to the schema fails)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from app.api.schemas.catalog import Catalog
from app.main import create_app
from app.settings import Settings
from nodes.registry import default_registry


def test_the_catalog_round_trips_through_its_schema_unchanged() -> None:
    catalog = default_registry().catalog()
    again = Catalog.model_validate(catalog).model_dump(mode="json", exclude_unset=True)
    assert json.dumps(again, sort_keys=True) == json.dumps(catalog, sort_keys=True)


def test_get_api_nodes_has_a_response_schema_and_serves_the_catalog_as_is(tmp_path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, seed_examples=False)), base_url="http://localhost") as client:
        schema = client.get("/openapi.json").json()
        ok = schema["paths"]["/api/nodes"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": "#/components/schemas/Catalog"}
        node = schema["components"]["schemas"]["CatalogNode"]
        assert {"inputs", "outputs", "role", "dynamic_ports"} <= set(node["properties"])
        served = client.get("/api/nodes").json()
    assert json.dumps(served, sort_keys=True) == json.dumps(default_registry().catalog(), sort_keys=True)

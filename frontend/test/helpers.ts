/** Test helpers: a snapshot of the real catalog (`GET /api/nodes`, every shipped node) loaded into the
 * catalog store, and a tiny graph builder. */

import type { CatalogResponse, GraphDocument, NodeTypes } from "../src/api/types";
import { useCatalog } from "../src/stores/catalogStore";
import catalogJson from "./catalog.fixture.json";

export const catalog = catalogJson as unknown as CatalogResponse;
export const byType = Object.fromEntries(catalog.nodes.map((n) => [n.type, n]));

export function loadCatalog(): void {
  useCatalog.getState().setCatalog(catalog);
}

export function doc(nodes: [string, string, Record<string, unknown>?][], edges: [string, string, string, string][] = []): GraphDocument {
  return {
    schema: "genaisys.graph/1",
    name: "test",
    description: "",
    nodes: nodes.map(([id, type, params], i) => ({ id, type, params: params ?? {}, position: { x: i * 300, y: 0 } })),
    edges: edges.map(([source, source_port, target, target_port], i) => ({ id: `e${i + 1}`, source, source_port, target, target_port })),
  };
}

export const types = (inputs: Record<string, string>, outputs: Record<string, string>): NodeTypes => ({ inputs, outputs });

/** The graph document (`genaisys.graph/1`) and React Flow's nodes and edges, both ways.
 *
 * The canvas holds React Flow objects; everything that leaves it (validate, save, run) is a
 * document built here, so a saved graph reopens identical: ids, params, positions, titles. */

import type { Edge, Node } from "@xyflow/react";
import type { CatalogNode, DocEdge, DocNode, GraphDocument } from "../api/types";

export const SCHEMA = "genaisys.graph/1" as const;

export type NodeData = {
  type: string;
  params: Record<string, unknown>;
  title?: string | null;
  version?: number | null;
};
export type StudioNode = Node<NodeData, "studio">;

export type EdgeData = { typeName: string };
export type StudioEdge = Edge<EdgeData, "typed">;

export interface DocMeta {
  name: string;
  description: string;
  meta?: Record<string, unknown>;
}

export function emptyDocument(name = "Untitled graph"): GraphDocument {
  return { schema: SCHEMA, name, description: "", nodes: [], edges: [] };
}

export function toFlowNode(n: DocNode): StudioNode {
  const data: NodeData = { type: n.type, params: { ...(n.params ?? {}) } };
  if (n.title) data.title = n.title;
  if (n.version !== undefined && n.version !== null) data.version = n.version;
  return { id: n.id, type: "studio", position: { x: n.position?.x ?? 0, y: n.position?.y ?? 0 }, data };
}

export function toFlowEdge(e: DocEdge, typeName: string): StudioEdge {
  return {
    id: e.id,
    type: "typed",
    source: e.source,
    sourceHandle: e.source_port,
    target: e.target,
    targetHandle: e.target_port,
    data: { typeName },
  };
}

/** The colour family of an edge: the type name of the output it leaves. */
export function outputTypeName(catalog: Record<string, CatalogNode>, nodeType: string | undefined, port: string): string {
  const out = nodeType ? catalog[nodeType]?.outputs.find((o) => o.name === port) : undefined;
  return out?.type.name ?? "Any";
}

export function fromDocument(doc: GraphDocument, catalog: Record<string, CatalogNode>): { nodes: StudioNode[]; edges: StudioEdge[] } {
  const nodes = (doc.nodes ?? []).map(toFlowNode);
  const typeOf = new Map(nodes.map((n) => [n.id, n.data.type]));
  const edges = (doc.edges ?? []).map((e) => toFlowEdge(e, outputTypeName(catalog, typeOf.get(e.source), e.source_port)));
  return { nodes, edges };
}

const round = (v: number): number => Math.round(v * 100) / 100;

export function toDocument(nodes: readonly StudioNode[], edges: readonly StudioEdge[], meta: DocMeta): GraphDocument {
  const doc: GraphDocument = {
    schema: SCHEMA,
    name: meta.name,
    description: meta.description,
    nodes: nodes.map((n) => {
      const out: DocNode = { id: n.id, type: n.data.type, params: n.data.params, position: { x: round(n.position.x), y: round(n.position.y) } };
      if (n.data.title) out.title = n.data.title;
      if (n.data.version !== undefined && n.data.version !== null) out.version = n.data.version;
      return out;
    }),
    edges: edges.map((e) => ({
      id: e.id,
      source: e.source,
      source_port: e.sourceHandle ?? "",
      target: e.target,
      target_port: e.targetHandle ?? "",
    })),
  };
  if (meta.meta && Object.keys(meta.meta).length) doc.meta = meta.meta;
  return doc;
}

/** A fresh node id named for its type (`text_embedder`, `text_embedder_2`, ...). */
export function newNodeId(type: string, taken: ReadonlySet<string>): string {
  const base = (type.split(".").pop() ?? "node").replace(/[^a-z0-9_]/gi, "_") || "node";
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

export function newEdgeId(taken: ReadonlySet<string>): string {
  for (let i = taken.size + 1; ; i++) if (!taken.has(`e${i}`)) return `e${i}`;
}

/** Target handles wired per node, as `"a,b"` keys (strings keep selectors stable). */
export function wiredInputs(edges: readonly StudioEdge[]): Record<string, string> {
  const lists: Record<string, string[]> = {};
  for (const e of edges) (lists[e.target] ??= []).push(e.targetHandle ?? "");
  return Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, v.sort().join(",")]));
}

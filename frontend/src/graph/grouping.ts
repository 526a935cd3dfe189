/** "Group into subgraph", as a pure plan: the selected nodes become a graph of their own, with
 * an io node at every edge the selection cuts, and one `graph.subgraph` node takes their place,
 * wired as they were. The server makes the io nodes the subgraph node's ports. */

import type { DocEdge, DocNode, GraphDocument, NodeTypes } from "../api/types";
import { SCHEMA } from "./document";

export const SUBGRAPH = "graph.subgraph";

/** An edge into the selection of one of these types gets a plain io input (the port is then
 * optional in the server's eyes only if it holds a value, and it holds none); any other type a
 * `graph.input` that declares it. */
const SCALAR_INPUTS: Record<string, { type: string; port: string }> = {
  Text: { type: "io.text_input", port: "text" },
  Integer: { type: "io.integer_input", port: "number" },
  Number: { type: "io.number_input", port: "number" },
  Boolean: { type: "io.boolean_input", port: "value" },
};

export interface GroupPlan {
  /** the new graph: the selected nodes, their inner edges, and io nodes at the cut */
  inner: GraphDocument;
  /** the subgraph node (its `graph` param is set once the inner graph is saved) */
  node: DocNode;
  /** the outer edges to and from the subgraph node, in place of the cut ones */
  edges: DocEdge[];
  /** the outer edges the grouping replaces or swallows */
  removedEdges: string[];
}

const portId = (wanted: string, taken: Set<string>): string => {
  const base = wanted.replace(/[^A-Za-z0-9_]/g, "_").replace(/^([^A-Za-z_])/, "_$1") || "port";
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}_${i}`;
  taken.add(id);
  return id;
};

/** Plan the grouping of `selected` (node ids of `doc`); null when nothing is selected.
 * `types`: the validator's resolved port types, which decide each cut edge's io node. */
export function planGroup(doc: GraphDocument, selected: ReadonlySet<string>, types: Record<string, NodeTypes>,
  name: string): GroupPlan | null {
  const picked = doc.nodes.filter((n) => selected.has(n.id));
  if (!picked.length) return null;
  const taken = new Set(picked.map((n) => n.id));
  const xs = picked.map((n) => n.position?.x ?? 0);
  const ys = picked.map((n) => n.position?.y ?? 0);
  const left = Math.min(...xs), right = Math.max(...xs), top = Math.min(...ys), bottom = Math.max(...ys);
  const innerNodes: DocNode[] = picked.map((n) => structuredClone(n));
  const innerEdges: DocEdge[] = [];
  const outerEdges: DocEdge[] = [];
  const removed: string[] = [];
  const inputs = new Map<string, string>(); // "source\0port" outside -> inner io node id
  const outputs = new Map<string, string>(); // "source\0port" inside -> inner io node id
  const group = "__group__";
  let n = 0;
  for (const e of doc.edges) {
    const fromIn = selected.has(e.source), toIn = selected.has(e.target);
    if (fromIn && toIn) {
      innerEdges.push(structuredClone(e));
      removed.push(e.id);
    } else if (toIn) { // into the selection: an io input inside, the outer source wired to the port
      removed.push(e.id);
      const key = `${e.source}\0${e.source_port}`;
      let io = inputs.get(key);
      const typeLabel = types[e.source]?.outputs[e.source_port] ?? types[e.target]?.inputs[e.target_port] ?? "Any";
      const scalar = SCALAR_INPUTS[typeLabel];
      if (!io) {
        io = portId(e.target_port, taken);
        inputs.set(key, io);
        innerNodes.push({
          id: io, type: scalar?.type ?? "graph.input",
          params: scalar ? { label: io } : { label: io, type: typeLabel },
          position: { x: left - 300, y: top + 140 * inputs.size - 140 },
        });
        outerEdges.push({ id: `${group}in${n++}`, source: e.source, source_port: e.source_port, target: group, target_port: io });
      }
      innerEdges.push({ id: `cut_${e.id}`, source: io, source_port: scalar?.port ?? "value", target: e.target, target_port: e.target_port });
    } else if (fromIn) { // out of the selection: an io output inside, the port wired to the outer target
      removed.push(e.id);
      const key = `${e.source}\0${e.source_port}`;
      let io = outputs.get(key);
      if (!io) {
        io = portId(e.source_port, taken);
        outputs.set(key, io);
        const text = (types[e.source]?.outputs[e.source_port] ?? "") === "Text";
        innerNodes.push({
          id: io, type: text ? "io.text_output" : "io.json_output", params: { label: io },
          position: { x: right + 320, y: top + 140 * outputs.size - 140 },
        });
        innerEdges.push({ id: `cut_${e.id}`, source: e.source, source_port: e.source_port, target: io, target_port: "value" });
      }
      outerEdges.push({ id: `${group}out${n++}`, source: group, source_port: io, target: e.target, target_port: e.target_port });
    }
  }
  const inner: GraphDocument = { schema: SCHEMA, name, description: "", nodes: innerNodes, edges: innerEdges };
  const node: DocNode = {
    id: group, type: SUBGRAPH, params: { graph: "", version: 1 },
    position: { x: (left + right) / 2, y: (top + bottom) / 2 },
  };
  return { inner, node, edges: outerEdges, removedEdges: removed };
}

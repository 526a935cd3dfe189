/** May this output feed that input? The canvas's `isValidConnection`, and the sentence that
 * says why not. Uses the ported `connect` rule with the catalog's type rules and declared
 * types and the validator's resolved ones (dimension variables bound across the graph). */

import type { CatalogNode, NodeTypes } from "../api/types";
import {
  type Arg,
  type Bindings,
  DEFAULT_TYPE_RULES,
  type TypeRules,
  type TypeV,
  type VarV,
  Verdict,
  connect,
  parseType,
  substitute,
  typeFromJson,
  typeToString,
  unify,
} from "./typesys";

export interface ConnectionQuery {
  source: string;
  sourceHandle: string | null | undefined;
  target: string;
  targetHandle: string | null | undefined;
}

export interface GraphView {
  /** node id -> catalog type id */
  nodeType: (id: string) => string | undefined;
  catalog: Record<string, CatalogNode>;
  /** the validator's resolved types, node id -> ports -> label */
  types: Record<string, NodeTypes>;
  edges: readonly { source: string; target: string }[];
  /** the rule's data from the catalog's `types` (see `rulesOf`); the built-in defaults when absent */
  rules?: TypeRules;
}

export type ConnectionVerdict =
  | { ok: true; lifted: boolean }
  | { ok: false; code: string; reason: string; senderLabel?: string; receiverLabel?: string };

function parseLabel(label: string | undefined, rules: TypeRules): TypeV | VarV | null {
  if (!label) return null;
  try {
    return parseType(label, rules);
  } catch {
    return null;
  }
}

const refuse = (code: string, reason: string, senderLabel?: string, receiverLabel?: string): ConnectionVerdict => ({
  ok: false, code, reason, senderLabel, receiverLabel,
});

/** Does a path lead from `from` to `to` along the edges? */
export function reaches(edges: GraphView["edges"], from: string, to: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of edges) (next.get(e.source) ?? next.set(e.source, []).get(e.source)!).push(e.target);
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}

/** The variables the target node has already bound, read back from the validator's
 * resolved input types (every input but the one being wired). */
function targetBindings(entry: CatalogNode, resolved: NodeTypes | undefined, except: string, rules: TypeRules): Bindings {
  const b: Bindings = {};
  if (!resolved) return b;
  for (const input of entry.inputs) {
    if (input.name === except) continue;
    const seen = parseLabel(resolved.inputs[input.name], rules);
    if (seen) unify(seen, typeFromJson(input.type), b, rules);
  }
  return b;
}

export function checkConnection(view: GraphView, c: ConnectionQuery): ConnectionVerdict {
  const { source, target } = c;
  const rules = view.rules ?? DEFAULT_TYPE_RULES;
  const sourcePort = c.sourceHandle ?? "";
  const targetPort = c.targetHandle ?? "";
  if (source === target) return refuse("cycle", "A node cannot feed itself.");
  const srcEntry = view.catalog[view.nodeType(source) ?? ""];
  const dstEntry = view.catalog[view.nodeType(target) ?? ""];
  if (!srcEntry || !dstEntry) return refuse("unknown_node_type", "One of these nodes has a type that is not installed.");

  const declaredOut = srcEntry.outputs.find((o) => o.name === sourcePort);
  const sender: Arg = parseLabel(view.types[source]?.outputs[sourcePort], rules) ?? (declaredOut ? typeFromJson(declaredOut.type) : null);
  if (sender === null) return refuse("unknown_port", `${srcEntry.title} has no output '${sourcePort}'.`);

  const declaredIn = dstEntry.inputs.find((i) => i.name === targetPort);
  if (declaredIn && !declaredIn.connectable) {
    return refuse("not_connectable", `'${declaredIn.label}' of ${dstEntry.title} is a setting and cannot be wired; set it on the node.`);
  }
  const receiver = declaredIn ? typeFromJson(declaredIn.type) : parseLabel(view.types[target]?.inputs[targetPort], rules);
  if (!receiver) return refuse("unknown_port", `${dstEntry.title} has no input '${targetPort}'.`);

  const bindings = declaredIn ? targetBindings(dstEntry, view.types[target], targetPort, rules) : {};
  const [verdict, lifted] = connect(sender, receiver, bindings, rules);
  const senderLabel = typeToString(sender);
  const receiverLabel = typeToString(substitute(receiver, bindings));
  const outName = declaredOut?.label ?? sourcePort;
  const inName = declaredIn?.label ?? targetPort;
  if (verdict === Verdict.DIMENSION_MISMATCH) {
    return refuse("dimension_mismatch",
      `${senderLabel} cannot feed ${receiverLabel}: '${outName}' of ${srcEntry.title} and '${inName}' of ${dstEntry.title} ` +
      "are vectors of different dimensions — use the same embedding model on both sides.", senderLabel, receiverLabel);
  }
  if (verdict === Verdict.TYPE_MISMATCH) {
    return refuse("type_mismatch",
      `${senderLabel} cannot feed ${receiverLabel}: '${outName}' of ${srcEntry.title} gives ${senderLabel}, ` +
      `but '${inName}' of ${dstEntry.title} needs ${receiverLabel}.`, senderLabel, receiverLabel);
  }
  if (reaches(view.edges, target, source)) {
    return refuse("cycle", `This edge would close a loop: ${dstEntry.title} already feeds ${srcEntry.title}.`, senderLabel, receiverLabel);
  }
  return { ok: true, lifted };
}

/** The end of a wire dropped on the empty canvas: the node and handle it was dragged from,
 * and which side that handle is (an output, `source`, or an input, `target`). */
export interface WireEnd {
  nodeId: string;
  handle: string;
  side: "source" | "target";
}

/** A node type that can take a dropped wire, and the port of it that the wire goes into
 * (or comes out of, for a wire dragged back from an input). */
export interface WireCandidate {
  entry: CatalogNode;
  port: string;
  portLabel: string;
}

/** Stands for the node not added yet; no real node id can contain a NUL. */
const NEW_NODE = "\u0000new";

/** The node types a wire from `end` may connect to, each with the port it would use: the
 * same `checkConnection` the canvas runs on every drag, asked about a node not added yet.
 * Of a type's ports, a required one is preferred, then one without a widget, then one that
 * takes the value as it is (not lifted into a list); ties keep the catalog's order. */
export function wireCandidates(view: GraphView, end: WireEnd, entries: readonly CatalogNode[]): WireCandidate[] {
  const out: WireCandidate[] = [];
  for (const entry of entries) {
    const asked: GraphView = { ...view, nodeType: (id) => (id === NEW_NODE ? entry.type : view.nodeType(id)) };
    const ports = end.side === "source"
      ? entry.inputs.filter((i) => i.connectable).map((i) => ({ name: i.name, label: i.label, rank: (i.required ? 0 : 2) + (i.widget ? 1 : 0) }))
      : entry.outputs.map((o) => ({ name: o.name, label: o.label, rank: 0 }));
    let best: { name: string; label: string; score: number } | null = null;
    for (const p of ports) {
      const verdict = checkConnection(asked, end.side === "source"
        ? { source: end.nodeId, sourceHandle: end.handle, target: NEW_NODE, targetHandle: p.name }
        : { source: NEW_NODE, sourceHandle: p.name, target: end.nodeId, targetHandle: end.handle });
      if (!verdict.ok) continue;
      const score = p.rank * 2 + (verdict.lifted ? 1 : 0);
      if (!best || score < best.score) best = { name: p.name, label: p.label, score };
    }
    if (best) out.push({ entry, port: best.name, portLabel: best.label });
  }
  return out;
}

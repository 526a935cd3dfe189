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

/** The compatibility check as the canvas calls it: against the live stores, from either end
 * of a drag (a user may drag from an input back to an output). */

import type { Handle } from "@xyflow/react";
import { useCatalog } from "../stores/catalogStore";
import { useGraph } from "../stores/graphStore";
import { useValidation } from "../stores/validationStore";
import { type ConnectionQuery, type ConnectionVerdict, type GraphView, checkConnection } from "../types/compat";

export function liveView(): GraphView {
  const { nodes, edges } = useGraph.getState();
  return {
    nodeType: (id) => nodes.find((n) => n.id === id)?.data.type,
    catalog: useCatalog.getState().byType,
    types: useValidation.getState().types,
    edges,
    rules: useCatalog.getState().typeRules,
  };
}

export const checkLive = (c: ConnectionQuery): ConnectionVerdict => checkConnection(liveView(), c);

/** The connection a drag from `from` to `to` proposes, output first. */
export function between(from: Handle, to: Handle): ConnectionQuery | null {
  if (from.type === to.type) return null;
  const [src, dst] = from.type === "source" ? [from, to] : [to, from];
  return { source: src.nodeId, sourceHandle: src.id ?? null, target: dst.nodeId, targetHandle: dst.id ?? null };
}

export function refusal(from: Handle, to: Handle): string | null {
  const query = between(from, to);
  if (!query) return from.type === "source" ? "An output connects to an input, not to another output." : "An input takes an edge from an output.";
  const verdict = checkLive(query);
  return verdict.ok ? null : verdict.reason;
}

/** Wires that lost their port. React Flow cannot draw an edge whose handle is gone (a prompt
 * template's `{topic}` renamed, a node that no longer has that output), so such an edge would
 * stay in the document unseen, unselectable, and refused by Run. As LangFlow does when a
 * prompt variable is renamed, and ComfyUI when an input goes away, the canvas removes it —
 * here as part of the edit that broke it, so one Undo (the toast's, or Ctrl+Z) brings the
 * edit and the wire back together.
 *
 * The server says which edges: its report's `unknown_port`, `not_connectable` and
 * `dangling_edge` problems name them; the canvas never re-implements a node's `ports()`. */

import type { Problem } from "../api/types";
import { useGraph } from "../stores/graphStore";
import { toast } from "../stores/toastStore";
import { useValidation } from "../stores/validationStore";
import type { StudioEdge } from "./document";

/** Problems about an edge that has nothing on the canvas to be drawn to. */
const UNDRAWABLE = new Set(["unknown_port", "not_connectable", "dangling_edge"]);

export interface GoneWire {
  edge: StudioEdge;
  /** what the wire lost, as a person reads it: "into 'topic' of prompt (port gone)" */
  where: string;
}

/** The edges of `edges` that `problems` say cannot be drawn, each with where it was wired. */
export function goneWires(problems: readonly Problem[], edges: readonly StudioEdge[]): GoneWire[] {
  const byId = new Map(edges.map((e) => [e.id, e]));
  // a node with a bad param (a half-typed `{topi` template) was given its default ports: what
  // it will have is not known yet, so its wires wait (the node shows the problem meanwhile)
  const unsettled = new Set(problems.filter((p) => p.code === "bad_param" && p.node_id).map((p) => p.node_id));
  const out = new Map<string, GoneWire>();
  for (const p of problems) {
    const edge = p.edge_id ? byId.get(p.edge_id) : undefined;
    if (!edge || !UNDRAWABLE.has(p.code) || out.has(edge.id) || unsettled.has(p.node_id)) continue;
    const fromSide = p.node_id === edge.source && p.node_id !== edge.target;
    const end = fromSide ? `from '${edge.sourceHandle ?? ""}' of ${edge.source}` : `into '${edge.targetHandle ?? ""}' of ${edge.target}`;
    const why = p.code === "dangling_edge" ? "node gone" : p.code === "not_connectable" ? "it is a setting" : "port gone";
    const where = `${end} (${why})`;
    out.set(edge.id, { edge, where });
  }
  return [...out.values()];
}

export function goneMessage(gone: readonly GoneWire[]): string {
  if (gone.length === 1) return `Removed the wire ${gone[0]!.where}`;
  return `Removed ${gone.length} wires: ${gone.map((g) => g.where).join("; ")}`;
}

/** Remove the wires a report about the current document says cannot be drawn; say so, with
 * Undo when there is an edit to undo (a document opened with them has none: undoing the open
 * would not mend them). */
export function pruneGoneWires(problems: readonly Problem[], revision: number): GoneWire[] {
  const graph = useGraph.getState();
  if (graph.readOnly || revision !== graph.structureRevision) return []; // a stale report
  const gone = goneWires(problems, graph.edges);
  if (!gone.length) return [];
  const depth = graph.past.length;
  graph.dropEdges(gone.map((g) => g.edge.id));
  const action = depth > 0 ? { label: "Undo", run: () => useGraph.getState().undoTo(depth) } : undefined;
  toast.info(goneMessage(gone), action);
  return gone;
}

/** Prune after every report (called once, at start-up). */
export function watchGoneWires(): () => void {
  return useValidation.subscribe((s, prev) => {
    if (s.status === "done" && (s.problems !== prev.problems || s.revision !== prev.revision)) pruneGoneWires(s.problems, s.revision);
  });
}

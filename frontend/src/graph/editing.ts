/** Editing commands shared by the toolbar and the keyboard: clipboard, auto-layout. */

import type { ReactFlowInstance } from "@xyflow/react";
import type { CatalogNode } from "../api/types";
import type { StudioEdge, StudioNode } from "./document";
import { useCatalog } from "../stores/catalogStore";
import { type Fragment, useGraph } from "../stores/graphStore";
import { useRun } from "../stores/runStore";
import { toast } from "../stores/toastStore";
import { fitGraph } from "../canvas/fit";
import { layeredLayout } from "./layout";

let clipboard: Fragment | null = null;
let pastes = 0;

export function copy(): boolean {
  const fragment = useGraph.getState().copySelection();
  if (!fragment) return false;
  clipboard = fragment;
  pastes = 0;
  return true;
}

export function paste(): void {
  if (!clipboard) return;
  pastes += 1;
  useGraph.getState().paste(clipboard, { x: 40 * pastes, y: 40 * pastes });
}

export function duplicate(): void {
  const fragment = useGraph.getState().copySelection();
  if (fragment) useGraph.getState().paste(fragment, { x: 40, y: 40 });
}

/** What a run adds under a node, at most: an output node shows its value (text and JSON up
 * to 220 px, an image as wide as the node), other nodes a line per output; each with the
 * "full result" link. Auto-layout keeps this room free below every node that does not show
 * its run's outputs yet. */
export const RESULT_ROOM = 280;
const PREVIEW_ROOM = { base: 36, perOutput: 18 };

export function roomForRun(entry: CatalogNode | undefined, showsOutputs: boolean): number {
  if (showsOutputs || !entry) return 0;
  return entry.role === "output" ? RESULT_ROOM : entry.outputs.length ? PREVIEW_ROOM.base + PREVIEW_ROOM.perOutput * entry.outputs.length : 0;
}

export function autoLayout(flow: ReactFlowInstance<StudioNode, StudioEdge>, pane: { width: number; height: number }): void {
  const { nodes, edges } = useGraph.getState();
  if (!nodes.length) return;
  const byType = useCatalog.getState().byType;
  const runs = useRun.getState().nodes;
  const boxes = nodes.map((n) => ({
    id: n.id,
    width: n.measured?.width ?? 260,
    height: (n.measured?.height ?? 160) + roomForRun(byType[n.data.type], !!runs[n.id]?.outputs),
  }));
  useGraph.getState().setPositions(layeredLayout(boxes, edges));
  requestAnimationFrame(() => fitGraph(flow, pane, 300));
  toast.info("Laid out left to right. Ctrl+Z puts it back.");
}

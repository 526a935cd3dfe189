/** Editing commands shared by the toolbar and the keyboard: clipboard, auto-layout. */

import type { ReactFlowInstance } from "@xyflow/react";
import type { StudioEdge, StudioNode } from "./document";
import { type Fragment, useGraph } from "../stores/graphStore";
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

export function autoLayout(flow: ReactFlowInstance<StudioNode, StudioEdge>, pane: { width: number; height: number }): void {
  const { nodes, edges } = useGraph.getState();
  if (!nodes.length) return;
  const boxes = nodes.map((n) => ({ id: n.id, width: n.measured?.width ?? 240, height: n.measured?.height ?? 120 }));
  useGraph.getState().setPositions(layeredLayout(boxes, edges));
  requestAnimationFrame(() => fitGraph(flow, pane, 300));
  toast.info("Laid out left to right. Ctrl+Z puts it back.");
}

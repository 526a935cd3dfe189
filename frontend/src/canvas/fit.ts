/** Fit the whole graph in view, sizing nodes React Flow has not measured yet (with
 * `onlyRenderVisibleElements`, nodes outside the view are never drawn, so never measured). */

import { type ReactFlowInstance, getViewportForBounds } from "@xyflow/react";
import type { StudioEdge, StudioNode } from "../graph/document";

const GUESS = { width: 260, height: 160 };

export function graphBounds(nodes: readonly StudioNode[]): { x: number; y: number; width: number; height: number } | null {
  if (!nodes.length) return null;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const n of nodes) {
    const w = n.measured?.width ?? GUESS.width;
    const h = n.measured?.height ?? GUESS.height;
    x0 = Math.min(x0, n.position.x);
    y0 = Math.min(y0, n.position.y);
    x1 = Math.max(x1, n.position.x + w);
    y1 = Math.max(y1, n.position.y + h);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

export function fitGraph(flow: ReactFlowInstance<StudioNode, StudioEdge>, pane: { width: number; height: number }, duration = 0): void {
  const bounds = graphBounds(flow.getNodes());
  if (!bounds || !pane.width || !pane.height) return;
  const viewport = getViewportForBounds(bounds, pane.width, pane.height, 0.05, 1.2, 0.12);
  void flow.setViewport(viewport, { duration });
}

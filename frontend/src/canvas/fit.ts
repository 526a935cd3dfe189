/** Where the view goes: the whole graph (Fit view), a graph as it opens (readable, at its
 * inputs), a new empty graph (home). Nodes React Flow has not measured yet are sized by a
 * guess (with `onlyRenderVisibleElements`, nodes outside the view are never drawn, so never
 * measured). */

import { type ReactFlowInstance, type Viewport, getViewportForBounds } from "@xyflow/react";
import type { StudioEdge, StudioNode } from "../graph/document";
import { useCatalog } from "../stores/catalogStore";

const GUESS = { width: 260, height: 160 };
const PADDING = 0.12;
/** Where a new graph starts: zoom 1, so the first nodes dropped on it are drawn at their size. */
export const HOME_VIEWPORT: Viewport = { x: 40, y: 40, zoom: 1 };
/** The least zoom a graph opens at: widgets, their text and a node's results readable. (Nodes
 * hide their widgets below `LOW_DETAIL_ZOOM`; this is well above it.) */
export const READABLE_ZOOM = 0.8;
/** Screen pixels kept between the graph's inputs and the edge of the view. */
const MARGIN_PX = 40;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Pane {
  width: number;
  height: number;
}

export function graphBounds(nodes: readonly StudioNode[]): Rect | null {
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

/** The whole graph in view, however small that makes it. */
export function fitGraph(flow: ReactFlowInstance<StudioNode, StudioEdge>, pane: Pane, duration = 0): void {
  const bounds = graphBounds(flow.getNodes());
  if (!bounds || !pane.width || !pane.height) return;
  void flow.setViewport(getViewportForBounds(bounds, pane.width, pane.height, 0.05, 1.2, PADDING), { duration });
}

/** `value` moved into [lo, hi]; when that range is empty (a focus bigger than the view), `hi`:
 * the focus's start (its top-left corner) stays in view. */
const into = (value: number, lo: number, hi: number): number => (lo > hi ? hi : Math.min(Math.max(value, lo), hi));

/** A graph as it opens: all of it when it fits at a readable zoom; otherwise readable, with
 * `focus` (its inputs) in view and as much of the graph around it as the view holds —
 * left-aligned on the graph, vertically centred on it — rather than a whole graph too small
 * to read (a big graph would open as coloured boxes). */
export function openingViewport(bounds: Rect, focus: Rect, pane: Pane): Viewport {
  const whole = getViewportForBounds(bounds, pane.width, pane.height, 0.05, 1.2, PADDING);
  if (whole.zoom >= READABLE_ZOOM) return whole;
  const zoom = READABLE_ZOOM;
  const m = MARGIN_PX / zoom;
  const [vw, vh] = [pane.width / zoom, pane.height / zoom];
  // the view's top-left corner in flow units: the focus inside it, the graph's left edge or
  // centre where that allows
  const left = into(bounds.x - m, focus.x + focus.width + m - vw, focus.x - m);
  const top = into(bounds.y + bounds.height / 2 - vh / 2, focus.y + focus.height + m - vh, focus.y - m);
  return { x: -left * zoom, y: -top * zoom, zoom };
}

/** The nodes a person starts reading a graph from: its input nodes (`io.*` inputs), else the
 * nodes nothing flows into. */
export function entryNodes(nodes: readonly StudioNode[], edges: readonly StudioEdge[]): StudioNode[] {
  const byType = useCatalog.getState().byType;
  const inputs = nodes.filter((n) => byType[n.data.type]?.role === "input");
  if (inputs.length) return inputs;
  const fed = new Set(edges.map((e) => e.target));
  const sources = nodes.filter((n) => !fed.has(n.id));
  return sources.length ? sources : [...nodes];
}

/** The view for a graph just opened (or a new, empty one: home). */
export function fitOpened(flow: ReactFlowInstance<StudioNode, StudioEdge>, pane: Pane): void {
  const nodes = flow.getNodes();
  const bounds = graphBounds(nodes);
  if (!bounds) {
    void flow.setViewport(HOME_VIEWPORT);
    return;
  }
  if (!pane.width || !pane.height) return;
  const focus = graphBounds(entryNodes(nodes, flow.getEdges()))!;
  void flow.setViewport(openingViewport(bounds, focus, pane));
}

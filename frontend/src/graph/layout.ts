/** Auto-layout: dagre's layered drawing, left to right as data flows, for the wired nodes;
 * the nodes no edge touches go in a grid under it (dagre would stack them all in its first
 * layer: one tall column). Boxes are as tall as the caller says a node will be, so a node
 * that grows after a run (its result) already has the room below it. */

import { Graph, layout } from "@dagrejs/dagre";

export interface Box {
  id: string;
  width: number;
  height: number;
}

export interface Gap {
  /** between layers (left to right) */
  rank: number;
  /** between nodes of one layer, and between the cells of the grid */
  node: number;
}

type Positions = Record<string, { x: number; y: number }>;

function layered(boxes: readonly Box[], edges: readonly { source: string; target: string }[], gap: Gap): Positions {
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: "LR", ranksep: gap.rank, nodesep: gap.node, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const b of boxes) g.setNode(b.id, { width: b.width, height: b.height });
  edges.forEach((e, i) => {
    if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target, {}, `e${i}`);
  });
  layout(g);
  const out: Positions = {};
  for (const b of boxes) {
    const n = g.node(b.id);
    out[b.id] = { x: Math.round(n.x - b.width / 2), y: Math.round(n.y - b.height / 2) };
  }
  return out;
}

/** Boxes in rows of `columns`, from (x, y): each column as wide as its widest box, each row
 * as tall as its tallest. */
export function gridLayout(boxes: readonly Box[], columns: number, origin: { x: number; y: number }, gap: number): Positions {
  const cols = Math.max(1, Math.min(columns, boxes.length));
  const widths = Array.from({ length: cols }, (_, c) => Math.max(0, ...boxes.filter((_, i) => i % cols === c).map((b) => b.width)));
  const out: Positions = {};
  let y = origin.y;
  for (let start = 0; start < boxes.length; start += cols) {
    const row = boxes.slice(start, start + cols);
    let x = origin.x;
    row.forEach((b, c) => {
      out[b.id] = { x: Math.round(x), y: Math.round(y) };
      x += widths[c]! + gap;
    });
    y += Math.max(...row.map((b) => b.height)) + gap;
  }
  return out;
}

/** Top-left positions for every box, in flow coordinates. */
export function layeredLayout(
  boxes: readonly Box[],
  edges: readonly { source: string; target: string }[],
  gap: Gap = { rank: 90, node: 40 },
): Positions {
  const ids = new Set(boxes.map((b) => b.id));
  const wiredEdges = edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  const touched = new Set(wiredEdges.flatMap((e) => [e.source, e.target]));
  const wired = boxes.filter((b) => touched.has(b.id));
  const loose = boxes.filter((b) => !touched.has(b.id));
  const out = wired.length ? layered(wired, wiredEdges, gap) : {};
  if (!loose.length) return out;

  const cell = Math.max(...loose.map((b) => b.width)) + gap.node;
  const square = Math.ceil(Math.sqrt(loose.length));
  if (!wired.length) return { ...out, ...gridLayout(loose, square, { x: 0, y: 0 }, gap.node) };
  // under the layered part, left-aligned with it, as wide as it (or a square, if wider)
  const left = Math.min(...wired.map((b) => out[b.id]!.x));
  const right = Math.max(...wired.map((b) => out[b.id]!.x + b.width));
  const bottom = Math.max(...wired.map((b) => out[b.id]!.y + b.height));
  const columns = Math.max(square, Math.floor((right - left + gap.node) / cell));
  return { ...out, ...gridLayout(loose, columns, { x: left, y: bottom + gap.rank }, gap.node) };
}

/** Auto-layout: dagre's layered drawing, left to right as data flows. */

import { Graph, layout } from "@dagrejs/dagre";

export interface Box {
  id: string;
  width: number;
  height: number;
}

/** Top-left positions for every box, in flow coordinates. */
export function layeredLayout(
  boxes: readonly Box[],
  edges: readonly { source: string; target: string }[],
  gap = { rank: 90, node: 40 },
): Record<string, { x: number; y: number }> {
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: "LR", ranksep: gap.rank, nodesep: gap.node, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const b of boxes) g.setNode(b.id, { width: b.width, height: b.height });
  edges.forEach((e, i) => {
    if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target, {}, `e${i}`);
  });
  layout(g);
  const out: Record<string, { x: number; y: number }> = {};
  for (const b of boxes) {
    const n = g.node(b.id);
    out[b.id] = { x: Math.round(n.x - b.width / 2), y: Math.round(n.y - b.height / 2) };
  }
  return out;
}

/** Auto-layout and fitting: layers run left to right, nothing overlaps, bounds guess the size
 * of nodes not measured yet. */

import { describe, expect, it } from "vitest";
import { graphBounds } from "../src/canvas/fit";
import { toFlowNode } from "../src/graph/document";
import { RESULT_ROOM, roomForRun } from "../src/graph/editing";
import { type Box, gridLayout, layeredLayout } from "../src/graph/layout";
import { byType } from "./helpers";

const overlaps = (boxes: readonly Box[], pos: Record<string, { x: number; y: number }>): string[] => {
  const hits: string[] = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b) => {
    const [p, q] = [pos[a.id]!, pos[b.id]!];
    if (p.x < q.x + b.width && q.x < p.x + a.width && p.y < q.y + b.height && q.y < p.y + a.height) hits.push(`${a.id}/${b.id}`);
  }));
  return hits;
};

describe("layeredLayout", () => {
  it("puts each node right of what feeds it, without overlaps", () => {
    const boxes = ["a", "b", "c", "d"].map((id) => ({ id, width: 240, height: 120 }));
    const edges = [{ source: "a", target: "b" }, { source: "a", target: "c" }, { source: "b", target: "d" }, { source: "c", target: "d" }];
    const pos = layeredLayout(boxes, edges);
    expect(pos.a!.x).toBeLessThan(pos.b!.x);
    expect(pos.b!.x).toBeLessThan(pos.d!.x);
    expect(pos.b!.x).toBe(pos.c!.x);
    expect(Math.abs(pos.b!.y - pos.c!.y)).toBeGreaterThanOrEqual(120);
  });

  it("puts unconnected nodes in a grid, not one column", () => {
    const boxes = ["a", "b", "c", "d", "e", "f"].map((id) => ({ id, width: 260, height: 150 }));
    const pos = layeredLayout(boxes, []);
    expect(new Set(Object.values(pos).map((p) => p.x)).size).toBe(3);
    expect(new Set(Object.values(pos).map((p) => p.y)).size).toBe(2);
    expect(overlaps(boxes, pos)).toEqual([]);
  });

  it("puts unconnected nodes under the wired ones, as wide as they are", () => {
    const wired = ["a", "b", "c", "d"].map((id) => ({ id, width: 260, height: 150 }));
    const loose = ["l1", "l2", "l3", "l4", "l5"].map((id) => ({ id, width: 260, height: 120 }));
    const edges = [{ source: "a", target: "b" }, { source: "b", target: "c" }, { source: "c", target: "d" }];
    const pos = layeredLayout([...wired, ...loose], edges);
    const bottom = Math.max(...wired.map((b) => pos[b.id]!.y + b.height));
    for (const b of loose) expect(pos[b.id]!.y).toBeGreaterThan(bottom);
    expect(pos.l1!.x).toBe(pos.a!.x);
    expect(pos.l4!.y).toBe(pos.l1!.y); // four chain layers wide: four in a row
    expect(overlaps([...wired, ...loose], pos)).toEqual([]);
  });

  it("grid rows are as tall as their tallest box", () => {
    const pos = gridLayout([{ id: "a", width: 100, height: 50 }, { id: "b", width: 80, height: 300 }, { id: "c", width: 100, height: 10 }], 2, { x: 0, y: 0 }, 10);
    expect(pos).toEqual({ a: { x: 0, y: 0 }, b: { x: 110, y: 0 }, c: { x: 0, y: 310 } });
  });

  it("leaves room under a node for what a run adds, once", () => {
    expect(roomForRun(byType["io.text_output"], false)).toBe(RESULT_ROOM);
    expect(roomForRun(byType["io.text_output"], true)).toBe(0);
    expect(roomForRun(byType["io.text_input"], false)).toBeGreaterThan(0);
    expect(roomForRun(byType["io.text_input"], false)).toBeLessThan(RESULT_ROOM);
  });

  it("ignores edges to nodes it was not given", () => {
    const pos = layeredLayout([{ id: "a", width: 10, height: 10 }], [{ source: "a", target: "gone" }]);
    expect(Object.keys(pos)).toEqual(["a"]);
  });
});

describe("graphBounds", () => {
  it("uses measured sizes, and a guess for nodes never drawn", () => {
    const a = { ...toFlowNode({ id: "a", type: "t", params: {}, position: { x: 0, y: 0 } }), measured: { width: 100, height: 50 } };
    const b = toFlowNode({ id: "b", type: "t", params: {}, position: { x: 1000, y: 500 } });
    expect(graphBounds([a, b])).toEqual({ x: 0, y: 0, width: 1260, height: 660 });
    expect(graphBounds([])).toBeNull();
  });
});

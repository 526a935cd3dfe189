/** Auto-layout and fitting: layers run left to right, nothing overlaps, bounds guess the size
 * of nodes not measured yet. */

import { describe, expect, it } from "vitest";
import { graphBounds } from "../src/canvas/fit";
import { toFlowNode } from "../src/graph/document";
import { layeredLayout } from "../src/graph/layout";

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

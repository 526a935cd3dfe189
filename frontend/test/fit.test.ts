/** Where a graph opens: whole when that is readable, else readable at its inputs with as much
 * of the graph around them as the view holds; an empty graph opens home, at zoom 1. */

import { beforeEach, describe, expect, it } from "vitest";
import { HOME_VIEWPORT, READABLE_ZOOM, entryNodes, graphBounds, openingViewport } from "../src/canvas/fit";
import { fromDocument } from "../src/graph/document";
import { doc, loadCatalog } from "./helpers";

const pane = { width: 828, height: 852 }; // a 1400x900 window, palette and side panel open

/** The flow rectangle a viewport shows. */
const shown = (v: { x: number; y: number; zoom: number }) => ({
  x0: -v.x / v.zoom, y0: -v.y / v.zoom, x1: (pane.width - v.x) / v.zoom, y1: (pane.height - v.y) / v.zoom,
});

beforeEach(loadCatalog);

describe("openingViewport", () => {
  it("shows a small graph whole, as Fit view does", () => {
    const bounds = { x: 0, y: 0, width: 600, height: 200 };
    const v = openingViewport(bounds, { x: 0, y: 0, width: 260, height: 160 }, pane);
    expect(v.zoom).toBeGreaterThanOrEqual(READABLE_ZOOM);
    const s = shown(v);
    expect(s.x0).toBeLessThanOrEqual(0);
    expect(s.x1).toBeGreaterThanOrEqual(600);
  });

  it("opens a wide graph readable, its inputs in view, its left edge at the view's", () => {
    const bounds = { x: 0, y: -80, width: 2500, height: 640 };
    const question = { x: 280, y: 320, width: 260, height: 160 };
    const v = openingViewport(bounds, question, pane);
    expect(v.zoom).toBe(READABLE_ZOOM);
    const s = shown(v);
    expect(s.x0).toBeLessThan(0);
    expect(s.x0).toBeGreaterThan(-100);
    expect(s.x1).toBeGreaterThan(question.x + question.width);
    expect(s.y0).toBeLessThan(bounds.y); // the graph's height fits: all of it, centred
    expect(s.y1).toBeGreaterThan(bounds.y + bounds.height);
  });

  it("moves to inputs far from the graph's left edge", () => {
    const bounds = { x: 0, y: 0, width: 5000, height: 4000 };
    const input = { x: 3000, y: 3000, width: 260, height: 160 };
    const s = shown(openingViewport(bounds, input, pane));
    expect(s.x0).toBeLessThan(input.x);
    expect(s.x1).toBeGreaterThan(input.x + input.width);
    expect(s.y0).toBeLessThan(input.y);
    expect(s.y1).toBeGreaterThan(input.y + input.height);
  });

  it("inputs wider than the view: their top-left corner is in view", () => {
    const bounds = { x: 0, y: 0, width: 5000, height: 300 };
    const inputs = { x: 100, y: 0, width: 4000, height: 160 };
    const s = shown(openingViewport(bounds, inputs, pane));
    expect(s.x0).toBeLessThan(inputs.x);
    expect(s.x1).toBeGreaterThan(inputs.x + 260);
  });
});

describe("entryNodes", () => {
  it("are the io input nodes when there are some", () => {
    const { nodes, edges } = fromDocument(
      doc([["docs", "encoders.document_loader"], ["q", "io.text_input"], ["emb", "encoders.text_embedder"]], [["q", "text", "emb", "texts"]]),
      {},
    );
    expect(entryNodes(nodes, edges).map((n) => n.id)).toEqual(["q"]);
  });

  it("else the nodes nothing flows into", () => {
    const { nodes, edges } = fromDocument(
      doc([["docs", "encoders.document_loader"], ["split", "encoders.text_splitter"]], [["docs", "documents", "split", "documents"]]),
      {},
    );
    expect(entryNodes(nodes, edges).map((n) => n.id)).toEqual(["docs"]);
    expect(graphBounds(entryNodes(nodes, edges))).toEqual({ x: 0, y: 0, width: 260, height: 160 });
  });
});

it("home is zoom 1", () => {
  expect(HOME_VIEWPORT.zoom).toBe(1);
});

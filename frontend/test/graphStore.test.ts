/** The graph store: load/save state, edits, the one-value-per-input rule, undo/redo with
 * coalesced typing, copy/paste, and the document round trip. */

import { beforeEach, describe, expect, it } from "vitest";
import { emptyDocument } from "../src/graph/document";
import { isDirty, useGraph } from "../src/stores/graphStore";
import { doc, loadCatalog } from "./helpers";

const g = () => useGraph.getState();

const rag = doc(
  [["q", "io.text_input", { value: "hi" }], ["emb", "encoders.text_embedder"], ["out", "io.json_output", { label: "E" }]],
  [["q", "text", "emb", "texts"], ["emb", "embeddings", "out", "value"]],
);

beforeEach(() => {
  loadCatalog();
  g().load(emptyDocument());
});

describe("load and document", () => {
  it("round-trips a document exactly", () => {
    const input = { ...rag, nodes: rag.nodes.map((n, i) => (i === 1 ? { ...n, title: "My embedder", version: 1 } : n)) };
    g().load(input, { graphId: "g1", version: 3 });
    expect(g().document()).toEqual(input);
    expect(isDirty(g())).toBe(false);
    expect(g().graphId).toBe("g1");
    expect(g().version).toBe(3);
  });

  it("colours edges by the output's type and indexes wired inputs", () => {
    g().load(rag, { graphId: "g1", version: 1 });
    expect(g().edges.map((e) => e.data?.typeName)).toEqual(["Text", "Embedding"]);
    expect(g().wired).toEqual({ emb: "texts", out: "value" });
  });

  it("an empty new graph is clean, an unsaved document with nodes is not", () => {
    expect(isDirty(g())).toBe(false);
    g().load(rag);
    expect(isDirty(g())).toBe(true);
  });
});

describe("edits", () => {
  it("adds nodes with readable unique ids, selecting the new one", () => {
    const a = g().addNode("encoders.text_embedder", { x: 0, y: 0 });
    const b = g().addNode("encoders.text_embedder", { x: 10, y: 0 });
    expect([a, b]).toEqual(["text_embedder", "text_embedder_2"]);
    expect(g().nodes.filter((n) => n.selected).map((n) => n.id)).toEqual([b]);
    expect(isDirty(g())).toBe(true);
  });

  it("a new edge into a wired input replaces the old one", () => {
    g().load(rag, { graphId: "g1", version: 1 });
    g().addNode("io.text_input", { x: 0, y: 200 });
    g().connect({ source: "text_input", sourceHandle: "text", target: "emb", targetHandle: "texts" });
    const into = g().edges.filter((e) => e.target === "emb");
    expect(into).toHaveLength(1);
    expect(into[0]!.source).toBe("text_input");
  });

  it("sets and clears params; structural edits bump the validator's revision, moves do not", () => {
    g().load(rag, { graphId: "g1", version: 1 });
    const before = g().structureRevision;
    g().setParam("emb", "max_length", 128);
    expect(g().document().nodes[1]!.params).toEqual({ max_length: 128 });
    g().setParam("emb", "max_length", undefined);
    expect(g().document().nodes[1]!.params).toEqual({});
    expect(g().structureRevision).toBe(before + 2);
    const moved = g().structureRevision;
    g().setPositions({ q: { x: 5, y: 5 } });
    expect(g().structureRevision).toBe(moved);
    expect(g().document().nodes[0]!.position).toEqual({ x: 5, y: 5 });
  });

  it("removing a node removes its edges", () => {
    g().load(rag, { graphId: "g1", version: 1 });
    g().removeNodes(["emb"]);
    expect(g().nodes.map((n) => n.id)).toEqual(["q", "out"]);
    expect(g().edges).toEqual([]);
  });

  it("React Flow's remove changes are one undo step", () => {
    g().load(rag, { graphId: "g1", version: 1 });
    g().onNodesChange([{ type: "remove", id: "emb" }]);
    g().onEdgesChange([{ type: "remove", id: "e1" }, { type: "remove", id: "e2" }]);
    expect(g().nodes).toHaveLength(2);
    expect(g().past).toHaveLength(1);
    g().undo();
    expect(g().document()).toEqual(rag);
  });

  it("a drag is one undo step and makes the graph dirty when it ends", () => {
    g().load(rag, { graphId: "g1", version: 1 });
    g().onNodesChange([{ type: "position", id: "q", position: { x: 10, y: 0 }, dragging: true }]);
    g().onNodesChange([{ type: "position", id: "q", position: { x: 20, y: 0 }, dragging: true }]);
    expect(isDirty(g())).toBe(false);
    g().onNodesChange([{ type: "position", id: "q", position: { x: 30, y: 0 }, dragging: false }]);
    expect(isDirty(g())).toBe(true);
    expect(g().past).toHaveLength(1);
    g().undo();
    expect(g().nodes[0]!.position).toEqual({ x: 0, y: 0 });
  });
});

describe("undo and redo", () => {
  it("walks back and forth through snapshots", () => {
    g().addNode("io.text_input", { x: 0, y: 0 });
    g().addNode("io.text_output", { x: 300, y: 0 });
    g().connect({ source: "text_input", sourceHandle: "text", target: "text_output", targetHandle: "value" });
    const full = g().document();
    g().undo();
    expect(g().edges).toHaveLength(0);
    g().undo();
    expect(g().nodes).toHaveLength(1);
    g().redo();
    g().redo();
    expect(g().document()).toEqual(full);
    g().redo(); // nothing left: no change
    expect(g().document()).toEqual(full);
  });

  it("typing into one field is one undo step; a new edit clears redo", () => {
    g().load(rag, { graphId: "g1", version: 1 });
    for (const text of ["w", "wh", "wha", "what"]) g().setParam("q", "value", text);
    expect(g().past).toHaveLength(1);
    g().undo();
    expect(g().document().nodes[0]!.params.value).toBe("hi");
    g().redo();
    expect(g().document().nodes[0]!.params.value).toBe("what");
    g().undo();
    g().setName("other");
    expect(g().future).toHaveLength(0);
  });
});

describe("copy and paste", () => {
  it("pastes selected nodes with new ids and only the edges between them", () => {
    g().load(rag, { graphId: "g1", version: 1 });
    useGraph.setState({ nodes: g().nodes.map((n) => ({ ...n, selected: n.id !== "out" })) });
    const fragment = g().copySelection()!;
    expect(fragment.nodes.map((n) => n.id)).toEqual(["q", "emb"]);
    expect(fragment.edges).toHaveLength(1);
    const added = g().paste(fragment, { x: 40, y: 40 });
    expect(added).toEqual(["text_input", "text_embedder"]);
    const pasted = g().document();
    expect(pasted.nodes).toHaveLength(5);
    expect(pasted.edges.at(-1)).toMatchObject({ source: "text_input", target: "text_embedder", source_port: "text", target_port: "texts" });
    expect(pasted.nodes.find((n) => n.id === "text_input")!.position).toEqual({ x: 40, y: 40 });
    expect(pasted.nodes.find((n) => n.id === "text_input")!.params).toEqual({ value: "hi" });
    expect(g().nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(added);
  });
});

describe("a node added for a dropped wire", () => {
  it("comes with its edge, both one undo step", () => {
    g().load(doc([["q", "io.text_input"]]), { graphId: "g1", version: 1 });
    const depth = g().past.length;
    const id = g().addNode("io.text_output", { x: 300, y: 0 }, { nodeId: "q", handle: "text", side: "source", port: "value" });
    expect(g().edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle])).toEqual([["q", "text", id, "value"]]);
    expect(g().past.length).toBe(depth + 1);
    g().undo();
    expect(g().nodes.map((n) => n.id)).toEqual(["q"]);
    expect(g().edges).toEqual([]);
  });

  it("feeds an input it was dragged back from, replacing the edge there", () => {
    g().load(rag, { graphId: "g1", version: 1 });
    const id = g().addNode("io.text_input", { x: -300, y: 0 }, { nodeId: "emb", handle: "texts", side: "target", port: "text" });
    expect(g().edges.filter((e) => e.target === "emb").map((e) => e.source)).toEqual([id]);
  });
});

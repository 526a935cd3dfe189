/** "Group into subgraph" as a plan: the selection with io nodes at the cut edges, and one
 * subgraph node wired as the selection was. */

import { describe, expect, it } from "vitest";
import { planGroup } from "../src/graph/grouping";
import { doc } from "./helpers";

// q -> a -> b -> out, plus a collection from `store` into b: group {a, b}
const graph = doc(
  [
    ["q", "io.text_input", { value: "hi" }],
    ["store", "stores.chroma_write", {}],
    ["a", "utility.concat", { b: "1" }],
    ["b", "stores.chroma_query", {}],
    ["out", "io.json_output"],
    ["also", "io.text_output"],
  ],
  [["q", "text", "a", "a"], ["q", "text", "b", "text"], ["store", "collection", "b", "collection"],
    ["a", "text", "b", "query"], ["b", "documents", "out", "value"], ["a", "text", "also", "value"]],
);
const types = {
  q: { inputs: {}, outputs: { text: "Text" } },
  store: { inputs: {}, outputs: { collection: "Collection[384]" } },
  a: { inputs: { a: "Text" }, outputs: { text: "Text" } },
  b: { inputs: {}, outputs: { documents: "List[Document]" } },
};

describe("planGroup", () => {
  const plan = planGroup(graph, new Set(["a", "b"]), types, "Part")!;

  it("puts one io node at each cut source, typed by what crossed", () => {
    const io = plan.inner.nodes.filter((n) => n.id !== "a" && n.id !== "b");
    expect(io.map((n) => [n.id, n.type, n.params])).toEqual([
      ["a_2", "io.text_input", { label: "a_2" }], // q.text feeds two inputs: one port
      ["collection", "graph.input", { label: "collection", type: "Collection[384]" }],
      ["documents", "io.json_output", { label: "documents" }],
      ["text", "io.text_output", { label: "text" }],
    ]);
    expect(plan.inner.edges.map((e) => `${e.source}.${e.source_port}>${e.target}.${e.target_port}`).sort()).toEqual([
      "a.text>b.query", "a.text>text.value", "a_2.text>a.a", "a_2.text>b.text", "b.documents>documents.value",
      "collection.value>b.collection",
    ]);
  });

  it("wires the subgraph node as the selection was wired", () => {
    expect(plan.edges.map((e) => `${e.source}.${e.source_port}>${e.target}.${e.target_port}`)).toEqual([
      "q.text>__group__.a_2", "store.collection>__group__.collection", "__group__.documents>out.value",
      "__group__.text>also.value",
    ]);
    expect(plan.node.type).toBe("graph.subgraph");
    expect(new Set(plan.removedEdges).size).toBe(6);
  });

  it("is nothing for an empty selection", () => {
    expect(planGroup(graph, new Set(), types, "Part")).toBeNull();
  });
});

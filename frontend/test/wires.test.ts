/** Wires whose port the validator says is gone are removed as part of the edit that broke
 * them, with a toast whose Undo (like Ctrl+Z) brings the edit and the wire back. */

import { beforeEach, describe, expect, it } from "vitest";
import type { Problem } from "../src/api/types";
import { emptyDocument } from "../src/graph/document";
import { goneWires, pruneGoneWires } from "../src/graph/wires";
import { useGraph } from "../src/stores/graphStore";
import { useToasts } from "../src/stores/toastStore";
import { doc, loadCatalog } from "./helpers";

const g = () => useGraph.getState();
const graph = doc(
  [["t", "io.text_input"], ["prompt", "utility.prompt_template", { template: "About {topic}" }], ["out", "io.text_output"]],
  [["t", "text", "prompt", "topic"], ["prompt", "prompt", "out", "value"]],
);
const gonePort: Problem = {
  code: "unknown_port", message: "node 'prompt' (Prompt template) has no input 'topic'; its inputs: subject",
  node_id: "prompt", port: "topic", edge_id: "e1",
};

beforeEach(() => {
  loadCatalog();
  g().load(emptyDocument());
  useToasts.setState({ toasts: [] });
});

describe("goneWires", () => {
  it("names the edges that cannot be drawn, and which end lost its port", () => {
    g().load(graph, { graphId: "g1", version: 1 });
    const fromGone: Problem = { code: "unknown_port", message: "no output", node_id: "prompt", port: "prompt", edge_id: "e2" };
    const other: Problem = { code: "missing_input", message: "m", node_id: "out", port: "value" };
    const gone = goneWires([gonePort, fromGone, other, { ...gonePort }], g().edges);
    expect(gone.map((w) => [w.edge.id, w.where])).toEqual([
      ["e1", "into 'topic' of prompt (port gone)"],
      ["e2", "from 'prompt' of prompt (port gone)"],
    ]);
  });

  it("waits while the node has a bad param: its ports are the defaults, not what it will have", () => {
    g().load(graph, { graphId: "g1", version: 1 });
    const badTemplate: Problem = { code: "bad_param", message: "stray {", node_id: "prompt", param: "template" };
    expect(goneWires([badTemplate, gonePort], g().edges)).toEqual([]);
  });
});

describe("pruneGoneWires", () => {
  it("removes the wire with the edit that broke it; one undo brings both back", () => {
    g().load(graph, { graphId: "g1", version: 1 });
    g().setParam("prompt", "template", "About {subject}");
    pruneGoneWires([gonePort], g().structureRevision);
    expect(g().edges.map((e) => e.id)).toEqual(["e2"]);
    const [t] = useToasts.getState().toasts;
    expect(t!.message).toBe("Removed the wire into 'topic' of prompt (port gone)");
    expect(t!.action?.label).toBe("Undo");

    t!.action!.run();
    expect(g().edges.map((e) => e.id)).toEqual(["e1", "e2"]);
    expect(g().nodes.find((n) => n.id === "prompt")!.data.params.template).toBe("About {topic}");
    g().redo();
    expect(g().edges.map((e) => e.id)).toEqual(["e2"]);
    expect(g().nodes.find((n) => n.id === "prompt")!.data.params.template).toBe("About {subject}");
  });

  it("the toast's Undo goes back past later edits to the one that broke the wire", () => {
    g().load(graph, { graphId: "g1", version: 1 });
    g().setParam("prompt", "template", "About {subject}");
    pruneGoneWires([gonePort], g().structureRevision);
    g().setName("renamed");
    g().setTitle("out", "Answer");
    useToasts.getState().toasts[0]!.action!.run();
    expect(g().edges).toHaveLength(2);
    expect(g().past).toHaveLength(0);
  });

  it("ignores a report about an older revision of the graph", () => {
    g().load(graph, { graphId: "g1", version: 1 });
    g().setParam("prompt", "template", "About {subject}");
    const stale = g().structureRevision;
    g().setParam("prompt", "template", "About {topic}");
    expect(pruneGoneWires([gonePort], stale)).toEqual([]);
    expect(g().edges).toHaveLength(2);
  });

  it("a document opened with such a wire: removed and said, with nothing to undo", () => {
    g().load(graph, { graphId: "g1", version: 1 });
    pruneGoneWires([gonePort], g().structureRevision);
    expect(g().edges.map((e) => e.id)).toEqual(["e2"]);
    expect(useToasts.getState().toasts[0]!.action).toBeUndefined();
  });

  it("changes nothing on a read-only graph", () => {
    g().load(graph);
    g().setReadOnly(true);
    expect(pruneGoneWires([gonePort], g().structureRevision)).toEqual([]);
    expect(g().edges).toHaveLength(2);
    g().setReadOnly(false);
  });
});

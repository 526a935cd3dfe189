/** The canvas's connection check against a snapshot of the real catalog, with the validator's
 * resolved types where dimensions and type variables are bound. */

import { describe, expect, it } from "vitest";
import type { NodeTypes } from "../src/api/types";
import { type ConnectionVerdict, type GraphView, checkConnection, reaches, wireCandidates } from "../src/types/compat";
import { DEFAULT_TYPE_RULES, rulesOf } from "../src/types/typesys";
import { byType, catalog, types } from "./helpers";

const NODES: Record<string, string> = {
  q: "io.text_input",
  n: "io.integer_input",
  img: "io.image_output",
  out: "io.text_output",
  json: "io.json_output",
  emb: "encoders.text_embedder",
  write: "stores.chroma_write",
  query: "stores.chroma_query",
  pick: "utility.pick_item",
  join: "utility.join",
  prompt: "utility.prompt_template",
  llm: "models.llm",
  docs: "encoders.document_loader",
  split: "encoders.text_splitter",
};

function view(resolved: Record<string, NodeTypes> = {}, edges: { source: string; target: string }[] = []): GraphView {
  return { nodeType: (id) => NODES[id], catalog: byType, types: resolved, edges };
}

const check = (v: GraphView, source: string, sourceHandle: string, target: string, targetHandle: string): ConnectionVerdict =>
  checkConnection(v, { source, sourceHandle, target, targetHandle });

describe("checkConnection", () => {
  it("accepts equal types", () => {
    expect(check(view(), "q", "text", "out", "value")).toEqual({ ok: true, lifted: false });
  });

  it("refuses Text into Image and names both types", () => {
    const v = check(view(), "q", "text", "img", "value");
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.code).toBe("type_mismatch");
    expect(v.reason).toContain("Text cannot feed Image");
    expect(v.senderLabel).toBe("Text");
    expect(v.receiverLabel).toBe("Image");
  });

  it("widens Integer to Number (the LLM's temperature) but not Text", () => {
    expect(check(view(), "n", "number", "llm", "temperature").ok).toBe(true);
    expect(check(view(), "q", "text", "llm", "temperature").ok).toBe(false);
  });

  it("lifts a single Text into a List[Text] input", () => {
    expect(check(view(), "q", "text", "emb", "texts")).toEqual({ ok: true, lifted: true });
  });

  it("Any takes everything", () => {
    expect(check(view(), "docs", "documents", "json", "value").ok).toBe(true);
  });

  it("refuses wiring a setting", () => {
    const v = check(view(), "q", "text", "llm", "model");
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.code).toBe("not_connectable");
  });

  it("refuses a node feeding itself and an edge that closes a loop", () => {
    expect(check(view(), "join", "text", "join", "separator").ok).toBe(false);
    const loop = check(view({}, [{ source: "out", target: "join" }, { source: "join", target: "q" }]), "q", "text", "out", "value");
    expect(loop.ok).toBe(false);
    if (!loop.ok) expect(loop.code).toBe("cycle");
  });

  it("refuses a dimension the target has already bound", () => {
    const resolved = {
      emb: types({ texts: "List[Text]", documents: "List[Document]", model: "Text", max_length: "Integer" }, { embeddings: "Embedding[384]" }),
      query: types({ collection: "Collection[768]", query: "Embedding[768]", top_k: "Integer", where: "Json" }, { documents: "List[Document]" }),
    };
    const v = check(view(resolved), "emb", "embeddings", "query", "query");
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.code).toBe("dimension_mismatch");
    expect(v.reason).toContain("Embedding[384] cannot feed Embedding[768]");
  });

  it("ignores the binding of the input being rewired", () => {
    const resolved = {
      emb: types({}, { embeddings: "Embedding[384]" }),
      query: types({ collection: "Collection[?]", query: "Embedding[768]" }, {}),
    };
    expect(check(view(resolved), "emb", "embeddings", "query", "query").ok).toBe(true);
  });

  it("uses resolved output types: a picked Document is not Text", () => {
    const resolved = { pick: types({ items: "List[Document]", index: "Integer" }, { item: "Document" }) };
    expect(check(view(resolved), "pick", "item", "out", "value").ok).toBe(false);
    expect(check(view(), "pick", "item", "out", "value").ok).toBe(true); // unbound T shows as Any
  });

  it("accepts a dynamic port the validator reported", () => {
    const resolved = { prompt: types({ template: "Text", context: "Text", question: "Text" }, { prompt: "Text" }) };
    expect(check(view(resolved), "q", "text", "prompt", "question").ok).toBe(true);
    const unknown = check(view(), "q", "text", "prompt", "question");
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.code).toBe("unknown_port");
  });

  it("applies the rules the view carries (read from the catalog's types)", () => {
    const withRules = (rules: GraphView["rules"]): GraphView => ({ ...view(), rules });
    expect(check(withRules(rulesOf(catalog)), "n", "number", "llm", "temperature").ok).toBe(true);
    expect(check(withRules(rulesOf(catalog)), "q", "text", "emb", "texts")).toEqual({ ok: true, lifted: true });
    const noWidening = check(withRules({ ...DEFAULT_TYPE_RULES, widens_to: {} }), "n", "number", "llm", "temperature");
    expect(noWidening.ok).toBe(false);
    if (!noWidening.ok) expect(noWidening.reason).toContain("Integer cannot feed Number");
    expect(check(withRules({ ...DEFAULT_TYPE_RULES, lifts_into: [] }), "q", "text", "emb", "texts").ok).toBe(false);
  });

  it("refuses a node type that is not installed", () => {
    const v = checkConnection({ ...view(), nodeType: (id) => (id === "x" ? "models.nope" : NODES[id]) },
      { source: "x", sourceHandle: "a", target: "out", targetHandle: "value" });
    expect(v.ok).toBe(false);
  });
});

describe("reaches", () => {
  it("follows edges", () => {
    const edges = [{ source: "a", target: "b" }, { source: "b", target: "c" }];
    expect(reaches(edges, "a", "c")).toBe(true);
    expect(reaches(edges, "c", "a")).toBe(false);
  });
});

describe("wireCandidates", () => {
  const entries = catalog.nodes;
  const pick = (found: ReturnType<typeof wireCandidates>): Record<string, string> =>
    Object.fromEntries(found.map((c) => [c.entry.type, c.port]));

  it("offers for a Text output only the nodes with an input that takes Text, with that input", () => {
    const found = pick(wireCandidates(view(), { nodeId: "q", handle: "text", side: "source" }, entries));
    expect(found["io.text_output"]).toBe("value");
    expect(found["utility.prompt_template"]).toBe("template");
    expect(found["models.llm"]).toBe("prompt"); // the required input, not `system`
    expect(found["encoders.text_embedder"]).toBe("texts"); // lifted into List[Text]
    expect(found["io.image_output"]).toBeUndefined();
    expect(found["models.vae_decoder"]).toBeUndefined();
    expect(found["io.text_input"]).toBeUndefined(); // its inputs are settings, not wires
  });

  it("offers for an input dragged back the nodes with an output that feeds it", () => {
    const found = pick(wireCandidates(view(), { nodeId: "img", handle: "value", side: "target" }, entries));
    expect(found["models.vae_decoder"]).toBe("image");
    expect(found["encoders.image_loader"]).toBe("image");
    expect(found["io.text_input"]).toBeUndefined();
  });

  it("keeps the dimensions the graph has bound", () => {
    const resolved = { emb: types({}, { embeddings: "Embedding[384]" }) };
    const found = pick(wireCandidates(view(resolved), { nodeId: "emb", handle: "embeddings", side: "source" }, entries));
    expect(found["stores.chroma_query"]).toBe("query");
    expect(found["io.text_output"]).toBeUndefined();
  });
});

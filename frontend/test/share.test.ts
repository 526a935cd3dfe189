/** Sharing: the share page's token and permissions, the share store, the read-only graph,
 * share link wording, and the calls that carry `X-Share-Token`. */

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SHARE_HEADER, api, setShareToken } from "../src/api/client";
import type { SharePublic } from "../src/api/types";
import { emptyDocument } from "../src/graph/document";
import { absoluteUrl, shareRequest, shareState, sortShares } from "../src/graph/shareLinks";
import { enterShare, forkShared, forkedLocation, openShare } from "../src/graph/sharing";
import { exportFileName, pickGraphFile } from "../src/graph/transfer";
import { handleShortcut } from "../src/hooks/useShortcuts";
import { isDirty, useGraph } from "../src/stores/graphStore";
import { parseShareToken, permissions, useShare } from "../src/stores/shareStore";
import { doc, loadCatalog } from "./helpers";

const g = () => useGraph.getState();
const rag = doc(
  [["q", "io.text_input", { value: "hi" }], ["emb", "encoders.text_embedder"], ["out", "io.json_output"]],
  [["q", "text", "emb", "texts"], ["emb", "embeddings", "out", "value"]],
);

const share = (over: Partial<SharePublic>): SharePublic => ({
  token: "t", graph_id: "g", mode: "view", version: 1, created_at: "2026-01-01T00:00:00", expires_at: null,
  revoked_at: null, active: true, url: "/s/t", ...over,
});

const json = (status: number, body: unknown): Response =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

beforeEach(() => {
  loadCatalog();
  g().setReadOnly(false);
  g().load(emptyDocument());
  useShare.setState({ token: null, status: "none", mode: null, error: null });
  setShareToken(null);
});

afterEach(() => {
  vi.unstubAllGlobals();
  setShareToken(null);
});

describe("the share page", () => {
  it("finds the token in /s/{token} and nowhere else", () => {
    expect(parseShareToken("/s/AbC-_12")).toBe("AbC-_12");
    expect(parseShareToken("/s/AbC/")).toBe("AbC");
    expect(parseShareToken("/")).toBeNull();
    expect(parseShareToken("/s/")).toBeNull();
    expect(parseShareToken("/s/a/b")).toBeNull();
    expect(parseShareToken("/demo/abc")).toBeNull();
  });

  it("offers everything on the studio, a read-only view on a link, a copy on a fork link", () => {
    expect(permissions(null, null)).toEqual({ edit: true, files: true, run: true, fork: false });
    expect(permissions("t", "view")).toEqual({ edit: false, files: false, run: false, fork: false });
    expect(permissions("t", "fork")).toEqual({ edit: false, files: false, run: false, fork: true });
    expect(permissions("t", null)).toEqual({ edit: false, files: false, run: false, fork: false });
  });
});

describe("a read-only graph", () => {
  beforeEach(() => {
    g().load(rag, { graphId: "g1", version: 1 });
    g().setReadOnly(true);
  });

  it("refuses every edit, and undo has nothing to walk", () => {
    const before = g().document();
    g().addNode("io.text_input", { x: 0, y: 0 });
    g().setParam("q", "value", "changed");
    g().setTitle("q", "T");
    g().setName("other");
    g().removeNodes(["emb"]);
    g().connect({ source: "q", sourceHandle: "text", target: "out", targetHandle: "value" });
    g().setPositions({ q: { x: 999, y: 999 } });
    g().paste({ nodes: [before.nodes[0]!], edges: [] }, { x: 10, y: 10 });
    g().onNodesChange([{ type: "remove", id: "q" }, { type: "position", id: "emb", position: { x: 5, y: 5 }, dragging: true }]);
    g().onEdgesChange([{ type: "remove", id: "e1" }]);
    g().undo();
    expect(g().document()).toEqual(before);
    expect(g().past).toEqual([]);
    expect(isDirty(g())).toBe(false);
  });

  it("still selects", () => {
    g().onNodesChange([{ type: "select", id: "emb", selected: true }]);
    expect(g().nodes.find((n) => n.id === "emb")?.selected).toBe(true);
  });

  it("swallows Ctrl+S and Ctrl+Enter and takes no editing shortcut", () => {
    const key = (k: string, shiftKey = false) => ({ key: k, ctrlKey: true, metaKey: false, shiftKey, target: null }) as unknown as KeyboardEvent;
    expect(handleShortcut(key("s"))).toBe(true);
    expect(handleShortcut(key("Enter"))).toBe(true);
    for (const k of ["z", "y", "v", "d", "c"]) expect(handleShortcut(key(k))).toBe(false);
    g().selectOnly("q");
    handleShortcut(key("d"));
    expect(g().nodes).toHaveLength(3);
  });
});

describe("opening a share link", () => {
  it("every call carries the token; the shared graph opens read-only and clean", async () => {
    const seen: { url: string; token: string | null }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      seen.push({ url, token: new Headers(init.headers).get(SHARE_HEADER) });
      return json(200, { token: "tok", mode: "fork", graph_name: "Owls", description: "d", version: 2, document: rag, demo_url: null });
    });
    enterShare("tok");
    await openShare("tok");
    expect(seen).toEqual([{ url: "/api/shares/tok", token: "tok" }]);
    expect(useShare.getState()).toMatchObject({ token: "tok", status: "ready", mode: "fork", graphName: "Owls", version: 2 });
    expect(g().readOnly).toBe(true);
    expect(isDirty(g())).toBe(false);
    expect(g().document().nodes).toEqual(rag.nodes);
  });

  it("a revoked, expired or unknown link is 'missing'", async () => {
    vi.stubGlobal("fetch", async () => json(404, { error: { code: "not_found", message: "no such share" } }));
    enterShare("gone");
    await openShare("gone");
    expect(useShare.getState()).toMatchObject({ status: "missing" });
    expect(g().readOnly).toBe(false);
  });

  it("a fork link's copy goes to the new graph in the studio", async () => {
    const calls: { url: string; method: string | undefined; token: string | null }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      calls.push({ url, method: init.method, token: new Headers(init.headers).get(SHARE_HEADER) });
      return json(201, { id: "new id", name: "Owls", version: 1 });
    });
    const assign = vi.fn();
    vi.stubGlobal("location", { assign });
    enterShare("tok");
    await forkShared();
    expect(calls).toEqual([{ url: "/api/shares/tok/fork", method: "POST", token: "tok" }]);
    expect(assign).toHaveBeenCalledWith("/#graph=new%20id");
    expect(forkedLocation("x")).toBe("/#graph=x");
  });

  it("without a token, calls carry none", async () => {
    let token: string | null = "unset";
    vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
      token = new Headers(init.headers).get(SHARE_HEADER);
      return json(200, { data: [], count: 0 });
    });
    await api.listShares("g");
    expect(token).toBeNull();
  });
});

describe("share links", () => {
  it("pin the open version or follow the latest", () => {
    expect(shareRequest("view", true, 3, null)).toEqual({ mode: "view", version: 3, expires_in_days: null });
    expect(shareRequest("demo", false, 3, 7)).toEqual({ mode: "demo", version: null, expires_in_days: 7 });
  });

  it("are absolute on this server", () => {
    expect(absoluteUrl("/s/abc", "http://h:1")).toBe("http://h:1/s/abc");
    expect(absoluteUrl("https://other/s/abc", "http://h:1")).toBe("https://other/s/abc");
  });

  it("are active, revoked or expired; active ones first, newest first", () => {
    const now = Date.parse("2026-02-01T00:00:00Z");
    const a = share({ token: "a", created_at: "2026-01-01T00:00:00" });
    const b = share({ token: "b", created_at: "2026-01-03T00:00:00", revoked_at: "2026-01-04T00:00:00", active: false });
    const c = share({ token: "c", created_at: "2026-01-02T00:00:00", expires_at: "2026-01-05T00:00:00" });
    const d = share({ token: "d", created_at: "2026-01-04T00:00:00", expires_at: "2026-03-01T00:00:00Z" });
    expect([a, b, c, d].map((s) => shareState(s, now))).toEqual(["active", "revoked", "expired", "active"]);
    expect(sortShares([a, b, c, d], now).map((s) => s.token)).toEqual(["d", "a", "b", "c"]);
  });
});

describe("graph files", () => {
  it("are named <name>.genaisys.json, safely", () => {
    expect(exportFileName("Owl lines")).toBe("Owl lines.genaisys.json");
    expect(exportFileName("a/b:c?")).toBe("a_b_c_.genaisys.json");
    expect(exportFileName("  ")).toBe("graph.genaisys.json");
    expect(exportFileName("..hidden")).toBe("hidden.genaisys.json");
  });

  it("the first .json among dropped files is the one imported", () => {
    const files = [new File(["x"], "photo.png", { type: "image/png" }), new File(["{}"], "g.genaisys.json"), new File(["{}"], "h.json")];
    expect(pickGraphFile(files)?.name).toBe("g.genaisys.json");
    expect(pickGraphFile([files[0]!])).toBeNull();
    expect(pickGraphFile(null)).toBeNull();
  });
});

/** Accounts (a server in auth mode): the client's calls and its 401 `auth_required` hook, the
 * auth store, the start-up that signs in before loading, a session that ends later, signing
 * out, a share link's fork that asks for a sign-in and retries, and the sign-in dialog's markup. */

import { renderToStaticMarkup } from "react-dom/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AUTH_REQUIRED, ApiError, api, needsSignIn, onAuthRequired, setShareToken } from "../src/api/client";
import { Modal } from "../src/components/Modal";
import { AccountView, SignInDialog, SignInForm, type SignInFormProps } from "../src/components/SignInDialog";
import { emptyDocument } from "../src/graph/document";
import { EXPIRED, handleAuthRequired, resume, signOut, start } from "../src/graph/session";
import { FORK_SIGN_IN, enterShare, forkShared } from "../src/graph/sharing";
import { useAuth } from "../src/stores/authStore";
import { useCatalog } from "../src/stores/catalogStore";
import { isDirty, useGraph } from "../src/stores/graphStore";
import { useShare } from "../src/stores/shareStore";
import { useToasts } from "../src/stores/toastStore";
import { catalog, doc, loadCatalog } from "./helpers";

const alice = { id: "u1", name: "alice" };
const bob = { id: "u2", name: "bob" };
const TOKEN = "right-token";
const initialAuth = useAuth.getState();
const g = () => useGraph.getState();
const auth = () => useAuth.getState();

const json = (status: number, body: unknown): Response =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const authRequired = () => json(401, { error: { code: AUTH_REQUIRED, message: "sign in first" } });

interface Seen {
  method: string;
  url: string;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

/** A server in auth mode (or not): one token, alice's; a cookie session it remembers. */
function fakeServer(opts: { auth?: boolean; user?: typeof alice | null; tokens?: Record<string, typeof alice> } = {}) {
  const state = { auth: opts.auth ?? true, user: opts.user ?? null, tokens: opts.tokens ?? { [TOKEN]: alice } };
  const seen: Seen[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? "GET";
    const body = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    seen.push({ method, url, body, credentials: init.credentials });
    if (url === "/api/auth/me") return json(200, { auth: state.auth, user: state.user });
    if (url === "/api/auth/login") {
      const user = state.tokens[(body as { token: string }).token];
      if (!user) return json(401, { error: { code: "invalid_token", message: "unknown or revoked token" } });
      state.user = user;
      return json(200, { auth: true, user });
    }
    if (url === "/api/auth/logout") {
      state.user = null;
      return new Response(null, { status: 204 });
    }
    const shared = new Headers(init.headers).get("X-Share-Token");
    if (state.auth && !state.user && !(shared && method === "GET")) return authRequired();
    if (url === "/api/nodes") return json(200, catalog);
    if (url === "/api/graphs/g1") return json(200, { id: "g1", name: "Mine", version: 3, document: { ...doc([["q", "io.text_input"]]), name: "Mine" } });
    if (url === "/api/shares/tok") return json(200, { token: "tok", mode: "fork", graph_name: "Owls", description: "", version: 1, document: doc([["q", "io.text_input"]]), demo_url: null });
    if (url === "/api/shares/tok/fork") return json(201, { id: "copy", name: "Owls", version: 1 });
    if (url === "/api/validate") return json(200, { valid: true, problems: [], types: {} });
    return json(404, { error: { code: "not_found", message: url } });
  });
  vi.stubGlobal("fetch", fetch);
  return { state, seen, urls: () => seen.map((s) => `${s.method} ${s.url}`) };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  useAuth.setState(initialAuth, true);
  useShare.setState({ token: null, status: "none", mode: null, error: null });
  useToasts.setState({ toasts: [] });
  setShareToken(null);
  loadCatalog();
  g().setReadOnly(false);
  g().load(emptyDocument());
  vi.stubGlobal("location", { pathname: "/", search: "", hash: "", assign: vi.fn() });
  vi.stubGlobal("history", { replaceState: (_: unknown, __: string, url: string) => { (location as { hash: string }).hash = url.replace(/^[^#]*/, ""); } });
});

afterEach(() => {
  onAuthRequired(null);
  setShareToken(null);
  vi.unstubAllGlobals();
});

describe("the client", () => {
  it("me, login and logout, with fetch's default (same-origin) credentials and no Authorization header", async () => {
    const server = fakeServer();
    expect(await api.me()).toEqual({ auth: true, user: null });
    expect(await api.login(TOKEN)).toEqual({ auth: true, user: alice });
    expect(await api.logout()).toBeUndefined();
    expect(server.seen.map(({ method, url, body }) => [method, url, body])).toEqual([
      ["GET", "/api/auth/me", undefined],
      ["POST", "/api/auth/login", { token: TOKEN }],
      ["POST", "/api/auth/logout", undefined],
    ]);
    expect(server.seen.every((s) => s.credentials === undefined)).toBe(true);
    const headers = (vi.mocked(fetch).mock.calls[0]![1] as RequestInit).headers;
    expect(new Headers(headers).has("Authorization")).toBe(false);
  });

  it("on a share link, signing in and out do not carry the link's token (the link only reads)", async () => {
    fakeServer();
    setShareToken("tok");
    await api.me();
    await api.login(TOKEN);
    await api.forkShare("tok");
    await api.logout();
    const tokens = vi.mocked(fetch).mock.calls.map(([, init]) => new Headers((init as RequestInit).headers).get("X-Share-Token"));
    expect(tokens).toEqual(["tok", null, "tok", null]);
  });

  it("reports a 401 auth_required to the handler, then throws it; other errors only throw", async () => {
    const handler = vi.fn();
    onAuthRequired(handler);
    fakeServer();
    const err = await api.listGraphs().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: AUTH_REQUIRED });
    expect(handler).toHaveBeenCalledWith("/api/graphs?limit=200");
    handler.mockClear();
    await expect(api.login("wrong")).rejects.toMatchObject({ status: 401, code: "invalid_token", message: "unknown or revoked token" });
    expect(handler).not.toHaveBeenCalled(); // a wrong token at sign-in is the dialog's own error
    vi.stubGlobal("fetch", async () => json(401, { error: { code: "invalid_token", message: "revoked" } }));
    await expect(api.listGraphs()).rejects.toMatchObject({ status: 401, code: "invalid_token" });
    expect(handler).toHaveBeenCalledWith("/api/graphs?limit=200"); // the cookie's token was revoked
    handler.mockClear();
    vi.stubGlobal("fetch", async () => json(403, { error: { code: "forbidden", message: "no" } }));
    await expect(api.listGraphs()).rejects.toMatchObject({ status: 403 });
    expect(handler).not.toHaveBeenCalled();
  });
});

describe("needsSignIn", () => {
  it("is a 401 auth_required, or invalid_token anywhere but the sign-in itself", () => {
    const e = (status: number, code: string) => new ApiError(status, code, "m");
    expect(needsSignIn(e(401, AUTH_REQUIRED))).toBe(true);
    expect(needsSignIn(e(401, "invalid_token"), "/api/graphs")).toBe(true);
    expect(needsSignIn(e(401, "invalid_token"), "/api/auth/login")).toBe(false);
    expect(needsSignIn(e(403, "cross_origin"))).toBe(false);
    expect(needsSignIn(e(404, "not_found"))).toBe(false);
    expect(needsSignIn(new Error("x"))).toBe(false);
  });
});

describe("the auth store", () => {
  it("knows whether the server has accounts and who is signed in", async () => {
    fakeServer({ auth: false });
    expect(await auth().check()).toBe("off");
    fakeServer({ auth: true, user: alice });
    expect(await auth().check()).toBe("signed-in");
    expect(auth().user).toEqual(alice);
    fakeServer({ auth: true });
    expect(await auth().check()).toBe("signed-out");
    expect(auth().prompt).toBe(false); // asking is the start-up's decision
  });

  it("a server without /api/auth has no accounts", async () => {
    vi.stubGlobal("fetch", async () => json(404, { error: { code: "not_found", message: "no route" } }));
    expect(await auth().check()).toBe("off");
  });

  it("a wrong token leaves the dialog open with the server's message; the right one runs what waited", async () => {
    const server = fakeServer();
    const order: string[] = [];
    auth().require({ then: () => order.push("first") });
    auth().require({ then: () => order.push("second") });
    expect(auth()).toMatchObject({ prompt: true, status: "signed-out", dismissable: false });

    expect(await auth().signIn("  ")).toBe(false);
    expect(auth().error).toMatch(/token/);
    expect(server.seen).toEqual([]);

    expect(await auth().signIn("wrong")).toBe(false);
    expect(auth()).toMatchObject({ prompt: true, busy: false, error: "unknown or revoked token", user: null });
    expect(order).toEqual([]);

    expect(await auth().signIn(` ${TOKEN} `)).toBe(true);
    expect(auth()).toMatchObject({ prompt: false, status: "signed-in", user: alice, error: null, after: [] });
    expect(order).toEqual(["first", "second"]);
    expect(server.seen.at(-1)?.body).toEqual({ token: TOKEN });
  });

  it("only a dismissable dialog (a share link's) can be closed without signing in", () => {
    const then = vi.fn();
    auth().require({ then });
    auth().dismiss();
    expect(auth().prompt).toBe(true);
    useAuth.setState({ prompt: false, after: [] });
    auth().require({ then, dismissable: true });
    auth().dismiss();
    expect(auth()).toMatchObject({ prompt: false, after: [] });
    expect(then).not.toHaveBeenCalled();
  });
});

describe("start-up", () => {
  it("auth off: no dialog, the studio loads as before", async () => {
    const server = fakeServer({ auth: false });
    useCatalog.setState({ status: "idle" });
    await start("/");
    expect(auth()).toMatchObject({ status: "off", prompt: false });
    expect(server.urls()).toEqual(["GET /api/auth/me", "GET /api/nodes"]);
    expect(useCatalog.getState().status).toBe("ready");
  });

  it("auth on, signed out: the dialog first, nothing loads until a sign-in, then the graph in the address", async () => {
    const server = fakeServer();
    useCatalog.setState({ status: "idle" });
    location.hash = "#graph=g1";
    const started = start("/");
    await flush();
    expect(auth()).toMatchObject({ status: "signed-out", prompt: true, dismissable: false, reason: null });
    expect(server.urls()).toEqual(["GET /api/auth/me"]);
    await auth().signIn("wrong");
    expect(auth().prompt).toBe(true);
    await auth().signIn(TOKEN);
    await started;
    expect(server.urls()).toEqual(["GET /api/auth/me", "POST /api/auth/login", "POST /api/auth/login", "GET /api/nodes", "GET /api/graphs/g1"]);
    expect(useCatalog.getState().status).toBe("ready");
    expect(g()).toMatchObject({ graphId: "g1", version: 3, name: "Mine" });
  });

  it("auth on, signed in already (the cookie): no dialog", async () => {
    fakeServer({ user: alice });
    await start("/");
    expect(auth()).toMatchObject({ status: "signed-in", user: alice, prompt: false });
  });

  it("a share link opens for a signed-out visitor without asking", async () => {
    const server = fakeServer();
    await start("/s/tok");
    expect(auth()).toMatchObject({ status: "signed-out", prompt: false });
    expect(useShare.getState().status).toBe("ready");
    expect(server.urls()).toEqual(["GET /api/auth/me", "GET /api/nodes", "GET /api/shares/tok"]);
  });
});

describe("a session that ends later", () => {
  it("any 401 auth_required opens the dialog once, the canvas kept; signing in again checks it again", async () => {
    const server = fakeServer({ user: alice });
    await auth().check();
    onAuthRequired(handleAuthRequired);
    g().load({ ...doc([["q", "io.text_input"]]), name: "Mine" }, { graphId: "g1", version: 3 });
    g().setParam("q", "value", "unsaved edit");
    server.state.user = null; // expired
    await api.listRuns("g1").catch(() => undefined);
    await api.listGraphs().catch(() => undefined);
    expect(auth()).toMatchObject({ prompt: true, status: "signed-out", reason: EXPIRED, dismissable: false });
    expect(auth().after).toHaveLength(1);
    await auth().signIn(TOKEN);
    expect(g()).toMatchObject({ graphId: "g1", version: 3 });
    expect(isDirty(g())).toBe(true); // the unsaved edit is still there
    await new Promise((r) => setTimeout(r, 10));
    expect(server.urls().at(-1)).toBe("POST /api/validate");
  });

  it("another account signing in keeps the canvas as a new, unsaved graph", async () => {
    fakeServer({ user: bob, tokens: { bob: bob } });
    g().load({ ...doc([["q", "io.text_input"]]), name: "Mine" }, { graphId: "g1", version: 3 });
    location.hash = "#graph=g1";
    useAuth.setState({ status: "signed-in", user: bob });
    resume(alice);
    expect(g()).toMatchObject({ graphId: null, version: null, name: "Mine" });
    expect(g().nodes).toHaveLength(1);
    expect(isDirty(g())).toBe(true);
    expect(location.hash).toBe("");
  });

  it("is not asked about on a share page, nor for the sign-in's own calls", () => {
    handleAuthRequired("/api/auth/logout");
    expect(auth().prompt).toBe(false);
    enterShare("tok");
    handleAuthRequired("/api/validate");
    expect(auth().prompt).toBe(false);
  });

  it("a catalog that never loaded loads after the sign-in", async () => {
    const server = fakeServer();
    useCatalog.setState({ status: "error", error: "sign in first" });
    handleAuthRequired("/api/nodes");
    await auth().signIn(TOKEN);
    await new Promise((r) => setTimeout(r, 10));
    expect(server.urls()).toContain("GET /api/nodes");
    expect(useCatalog.getState().status).toBe("ready");
  });
});

describe("signing out", () => {
  it("logs out, clears the canvas and its address, and opens the dialog", async () => {
    const server = fakeServer({ user: alice });
    await auth().check();
    g().load({ ...doc([["q", "io.text_input"]]), name: "Mine" }, { graphId: "g1", version: 3 });
    location.hash = "#graph=g1";
    await signOut();
    expect(server.urls()).toContain("POST /api/auth/logout");
    expect(auth()).toMatchObject({ status: "signed-out", user: null, prompt: true, reason: null });
    expect(g()).toMatchObject({ graphId: null, nodes: [] });
    expect(location.hash).toBe("");
  });

  it("keeps everything when the server cannot be told", async () => {
    vi.stubGlobal("fetch", async () => { throw new TypeError("offline"); });
    useAuth.setState({ status: "signed-in", user: alice });
    g().load({ ...doc([["q", "io.text_input"]]), name: "Mine" }, { graphId: "g1", version: 3 });
    await signOut();
    expect(auth()).toMatchObject({ status: "signed-in", prompt: false });
    expect(g().graphId).toBe("g1");
    expect(useToasts.getState().toasts.at(-1)?.message).toMatch(/Could not sign out/);
  });
});

describe("a fork link", () => {
  it("signed out: the copy asks for a sign-in (which may be cancelled), then is made", async () => {
    const server = fakeServer();
    onAuthRequired(handleAuthRequired);
    enterShare("tok");
    await forkShared();
    expect(auth()).toMatchObject({ prompt: true, dismissable: true, reason: FORK_SIGN_IN });
    expect(useToasts.getState().toasts).toEqual([]); // the dialog is the answer, not an error
    expect(location.assign).not.toHaveBeenCalled();
    await auth().signIn(TOKEN);
    await flush();
    expect(server.urls().filter((u) => u.endsWith("/fork"))).toHaveLength(2);
    expect(location.assign).toHaveBeenCalledWith("/#graph=copy");
  });
});

describe("the dialog and the toolbar", () => {
  const form = (over: Partial<SignInFormProps> = {}) =>
    renderToStaticMarkup(<SignInForm reason={null} error={null} busy={false} onSubmit={() => undefined} onDismiss={null} {...over} />);

  it("is nothing until asked", () => {
    expect(renderToStaticMarkup(<SignInDialog />)).toBe("");
  });

  it("asks for an API token in a password field, in a form (Enter submits), with the admin's command", () => {
    const html = form({ reason: "Your session has ended." });
    expect(html).toContain('role="dialog"');
    expect(html).toContain('aria-label="Sign in"');
    expect(html).toMatch(/<form[^>]*>.*<label>API token<input type="password"[^>]*name="token".*<button type="submit"[^>]*>Sign in<\/button>.*<\/form>/s);
    expect(html).toContain("Ask the server&#x27;s admin for a token: <code>genaisys users add &lt;name&gt;</code>");
    expect(html).toContain("Your session has ended.");
    expect(html).not.toContain('aria-label="Close"'); // the studio cannot be used signed out
    expect(html).not.toContain("Cancel");
    expect(html).not.toContain('role="alert"');
  });

  it("shows a wrong token's error under the field, and a busy button while signing in", () => {
    const html = form({ error: "unknown or revoked token", busy: true });
    expect(html).toMatch(/<p class="error" id="sign-in-error" role="alert">unknown or revoked token<\/p>/);
    expect(html).toContain('aria-invalid="true"');
    expect(html).toMatch(/<button type="submit"[^>]*disabled=""[^>]*>Signing in…/);
  });

  it("on a share link it can be cancelled", () => {
    const html = form({ reason: FORK_SIGN_IN, onDismiss: () => undefined });
    expect(html).toContain('aria-label="Close"');
    expect(html).toContain(">Cancel</button>");
  });

  it("a modal with onClose={null} has no close button", () => {
    expect(renderToStaticMarkup(<Modal title="T" onClose={null}>x</Modal>)).not.toContain("Close");
    expect(renderToStaticMarkup(<Modal title="T">x</Modal>)).toContain('aria-label="Close"');
  });

  it("the toolbar shows who is signed in and Sign out; nothing without a user", () => {
    expect(renderToStaticMarkup(<AccountView user={null} onSignOut={() => undefined} />)).toBe("");
    const html = renderToStaticMarkup(<AccountView user={alice} onSignOut={() => undefined} />);
    expect(html).toContain(">alice</span>");
    expect(html).toContain(">Sign out</button>");
  });
});

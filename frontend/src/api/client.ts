/** Thin typed calls to the HTTP API. Errors come back as `ApiError` carrying the server's
 * `{"error": {"code", "message", "details"}}`, so callers can branch on `code`.
 * On a share link (`/s/{token}`) every call carries `X-Share-Token`. In auth mode the session
 * is an HttpOnly cookie the browser sends by itself (fetch's default same-origin credentials,
 * <img>/<audio> and the run websockets too); a 401 that means "no valid session" is reported to
 * the handler set with `onAuthRequired` (the sign-in dialog) before it is thrown. */

import type {
  AnalysisReport,
  AuthMe,
  CatalogResponse,
  ErrorBody,
  EvalAccepted,
  EvalCreate,
  EvalDetail,
  EvalsPublic,
  GraphCreate,
  GraphDetail,
  GraphDocument,
  GraphPublic,
  GraphRestore,
  GraphsPublic,
  GraphUpdate,
  ImportResult,
  Login,
  RunAccepted,
  RunCreate,
  RunDetail,
  ReplayAccepted,
  RunPublic,
  RunsPublic,
  ShareCreate,
  SharePublic,
  SharedGraph,
  SharesPublic,
  UploadPublic,
  ValidationReport,
  VersionDetail,
  VersionsPublic,
} from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

export const SHARE_HEADER = "X-Share-Token";
let shareToken: string | null = null;

/** Send `X-Share-Token: token` with every call from now on (null: stop). */
export function setShareToken(token: string | null): void {
  shareToken = token;
}

/** The headers every call carries (`share: false`: not the share token, for signing in and
 * out, which are the visitor's own business: a link only reads). */
export function baseHeaders(share = true): Record<string, string> {
  return shareToken && share ? { Accept: "application/json", [SHARE_HEADER]: shareToken } : { Accept: "application/json" };
}

/** The code of a 401 for a call without a session. */
export const AUTH_REQUIRED = "auth_required";
/** The code of a 401 for a token the server does not know (wrong, or revoked since). */
export const INVALID_TOKEN = "invalid_token";
let authRequired: ((path: string) => void) | null = null;

/** Does this error mean "sign in (again)"? A 401 `auth_required`, or `invalid_token` for any call
 * but the sign-in itself (where it means a wrong token): the session cookie's token was revoked. */
export function needsSignIn(err: unknown, path = ""): boolean {
  if (!(err instanceof ApiError) || err.status !== 401) return false;
  return err.code === AUTH_REQUIRED || (err.code === INVALID_TOKEN && !path.startsWith("/api/auth/"));
}

/** Call `handler` whenever a call answers a 401 that `needsSignIn` (null: stop). */
export function onAuthRequired(handler: ((path: string) => void) | null): void {
  authRequired = handler;
}

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal, share = true): Promise<T> {
  const init: RequestInit = { method, headers: baseHeaders(share) };
  if (signal) init.signal = signal;
  if (body instanceof Blob) {
    init.body = body; // a file upload: the bytes themselves are the body
  } else if (body !== undefined) {
    init.headers = { ...init.headers, "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "network_error", `the server did not answer (${(err as Error).message}); is genaisys serve running?`);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const body = (data as ErrorBody | null)?.error;
    const err = new ApiError(res.status, body?.code ?? "http_error", body?.message ?? `${method} ${path}: HTTP ${res.status}`, body?.details ?? null);
    if (needsSignIn(err, path)) authRequired?.(path);
    throw err;
  }
  return data as T;
}

const q = (params: Record<string, string | number | undefined | null>): string => {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join("&")}` : "";
};

export const api = {
  me: () => call<AuthMe>("GET", "/api/auth/me"),
  login: (token: string) => call<AuthMe>("POST", "/api/auth/login", { token } satisfies Login, undefined, false),
  logout: () => call<void>("POST", "/api/auth/logout", undefined, undefined, false),

  catalog: () => call<CatalogResponse>("GET", "/api/nodes"),
  validate: (document: GraphDocument, signal?: AbortSignal) => call<ValidationReport>("POST", "/api/validate", document, signal),
  analyze: (document: GraphDocument, signal?: AbortSignal) => call<AnalysisReport>("POST", "/api/analyze", document, signal),

  listGraphs: (search?: string) => call<GraphsPublic>("GET", `/api/graphs${q({ search, limit: 200 })}`),
  readGraph: (id: string) => call<GraphDetail>("GET", `/api/graphs/${encodeURIComponent(id)}`),
  createGraph: (document: GraphDocument, message: string) => call<GraphDetail>("POST", "/api/graphs", { document, message } satisfies GraphCreate),
  updateGraph: (id: string, document: GraphDocument, basedOn: number, message: string) =>
    call<GraphDetail>("PUT", `/api/graphs/${encodeURIComponent(id)}`, { document, based_on: basedOn, message } satisfies GraphUpdate),
  deleteGraph: (id: string) => call<void>("DELETE", `/api/graphs/${encodeURIComponent(id)}`),
  undeleteGraph: (id: string) => call<GraphPublic>("POST", `/api/graphs/${encodeURIComponent(id)}/undelete`),
  listVersions: (id: string) => call<VersionsPublic>("GET", `/api/graphs/${encodeURIComponent(id)}/versions`),
  readVersion: (id: string, n: number) => call<VersionDetail>("GET", `/api/graphs/${encodeURIComponent(id)}/versions/${n}`),
  restoreVersion: (id: string, n: number) =>
    call<GraphDetail>("POST", `/api/graphs/${encodeURIComponent(id)}/versions/${n}/restore`, { message: `restored version ${n}` } satisfies GraphRestore),

  startRun: (body: RunCreate) => call<RunAccepted>("POST", "/api/runs", body),
  listRuns: (graphId: string) => call<RunsPublic>("GET", `/api/runs${q({ graph_id: graphId, limit: 50 })}`),
  readRun: (id: string) => call<RunDetail>("GET", `/api/runs/${encodeURIComponent(id)}`),
  cancelRun: (id: string) => call<RunPublic>("POST", `/api/runs/${encodeURIComponent(id)}/cancel`),
  replayRun: (id: string) => call<ReplayAccepted>("POST", `/api/runs/${encodeURIComponent(id)}/replay`),

  exportUrl: (id: string, version?: number | null) => `/api/graphs/${encodeURIComponent(id)}/export${q({ version })}`,
  importGraph: (document: unknown) => call<ImportResult>("POST", "/api/graphs/import", document),

  createShare: (graphId: string, body: ShareCreate) => call<SharePublic>("POST", `/api/graphs/${encodeURIComponent(graphId)}/shares`, body),
  listShares: (graphId: string) => call<SharesPublic>("GET", `/api/graphs/${encodeURIComponent(graphId)}/shares`),
  revokeShare: (token: string) => call<void>("DELETE", `/api/shares/${encodeURIComponent(token)}`),
  readShare: (token: string) => call<SharedGraph>("GET", `/api/shares/${encodeURIComponent(token)}`),
  forkShare: (token: string) => call<GraphDetail>("POST", `/api/shares/${encodeURIComponent(token)}/fork`),

  listEvals: (graphId: string) => call<EvalsPublic>("GET", `/api/graphs/${encodeURIComponent(graphId)}/evals${q({ limit: 200 })}`),
  readEval: (id: string) => call<EvalDetail>("GET", `/api/evals/${encodeURIComponent(id)}`),
  startEval: (graphId: string, body: EvalCreate) =>
    call<EvalAccepted>("POST", `/api/graphs/${encodeURIComponent(graphId)}/evals`, body),

  upload: (file: File) => call<UploadPublic>("POST", `/api/uploads${q({ filename: file.name })}`, file),
};

/** The websocket URL of a run's events, on the page's own host. */
export function eventsUrl(runId: string): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/api/runs/${encodeURIComponent(runId)}/events`;
}

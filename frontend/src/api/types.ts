/** The JSON shapes of the HTTP API.
 *
 * Every request and response body is an alias of the generated OpenAPI types
 * (`schema.gen.ts`, from frontend/openapi.json: `scripts/export_openapi.py`, then
 * `npm run gen:api`; the build fails when it is stale), so a backend change to a body shows
 * up here as a type error.
 *
 * Hand-written, because OpenAPI does not say them (or says only "a free dict"):
 * - the graph document (`DocNode`, `DocEdge`, `GraphDocument`: genaisys.graph/1), which every
 *   schema types as `{[key: string]: unknown}`; refined into the generated bodies with `Refine`
 * - the inner shapes of the other free dicts: a validation `Problem` (an analysis warning too), a node's types
 *   (`NodeTypes`), the import report's `MigratedNode` and `MissingThing`; refined the same way
 * - artifact references inside a node's outputs (`ArtifactRef`, app/services/outputs.py;
 *   OpenAPI leaves outputs untyped)
 * - the error body every failed call answers (`ErrorBody`, app/api/errors.py: no schema)
 * Statuses, event types, failure codes and share modes are the generated enums
 * (app/engine/vocabulary.py): one set of names end to end.
 */

import type { components } from "./schema.gen";

type Schemas = components["schemas"];

/** The generated `Gen` with some of its fields' types made precise. Each key of `R` must be
 * a field of `Gen` and each type must fit the generated one, so a renamed, dropped or retyped
 * field is a type error here; optional and readonly marks stay the generated ones. */
type Refine<Gen, R extends { [K in keyof R]: K extends keyof Gen ? Gen[K] : never }> = {
  [K in keyof Gen]: K extends keyof R ? R[K] : Gen[K];
};

// -- catalog (`GET /api/nodes`) ---------------------------------------------------------

export type Widget = NonNullable<Schemas["CatalogInput"]["widget"]>;
export type CatalogInput = Schemas["CatalogInput"];
export type CatalogOutput = Schemas["CatalogOutput"];
export type CatalogNode = Schemas["CatalogNode"];
export type CatalogType = Schemas["CatalogType"];
export type CatalogResponse = Schemas["Catalog"];

// -- graph document (genaisys.graph/1; a free dict in OpenAPI) ---------------------------

export type DocNode = {
  id: string;
  type: string;
  version?: number | null;
  params: Record<string, unknown>;
  position: { x: number; y: number };
  title?: string | null;
};

export type DocEdge = {
  id: string;
  source: string;
  source_port: string;
  target: string;
  target_port: string;
};

export type GraphDocument = {
  schema: "genaisys.graph/1";
  name: string;
  description: string;
  nodes: DocNode[];
  edges: DocEdge[];
  meta?: Record<string, unknown>;
};

// -- validation (`POST /api/validate`) --------------------------------------------------

/** `Problem.to_json()`: a stable code, a sentence, and where it is. */
export type Problem = {
  code: string;
  message: string;
  node_id?: string;
  port?: string;
  param?: string;
  edge_id?: string;
  path?: string;
  nodes?: string[];
};

/** One node's resolved port types, by port name. */
export type NodeTypes = { inputs: Record<string, string>; outputs: Record<string, string> };

export type ValidationReport = Refine<Schemas["ValidationReport"], { problems: Problem[]; types: Record<string, NodeTypes> }>;

// -- analysis (`POST /api/analyze`) -----------------------------------------------------

/** Its warnings have a problem's shape: a stable code, a sentence, the nodes it is pinned to. */
export type AnalysisReport = Refine<Schemas["AnalysisReport"], { problems: Problem[]; warnings: Problem[] }>;
export type ModelMemory = Schemas["ModelMemory"];
export type OutputAnalysis = Schemas["OutputAnalysis"];

// -- graphs and versions ----------------------------------------------------------------

export type GraphPublic = Schemas["GraphPublic"];
export type GraphsPublic = Schemas["GraphsPublic"];
export type GraphDetail = Refine<Schemas["GraphDetail"], { document: GraphDocument; problems: Problem[] }>;
export type GraphCreate = Refine<Schemas["GraphCreate"], { document: GraphDocument }>;
export type GraphUpdate = Refine<Schemas["GraphUpdate"], { document: GraphDocument }>;
export type GraphRestore = Schemas["GraphRestore"];

export type VersionPublic = Schemas["VersionPublic"];
export type VersionsPublic = Schemas["VersionsPublic"];
export type VersionDetail = Refine<Schemas["VersionDetail"], { document: GraphDocument }>;

// -- runs -------------------------------------------------------------------------------

/** A run's status (app/engine/vocabulary.py RunStatus). */
export type RunStatus = Schemas["RunStatus"];
/** A node's status (app/engine/vocabulary.py NodeStatus; `interrupted` only in a stored run
 * that a crash cut off). A node that did not run because one it reads from failed is `failed`
 * with the code `upstream_failed`. */
export type NodeStatus = Schemas["NodeStatus"];
/** Why a node or a run failed (`error.code`). */
export type FailureCode = Schemas["FailureCode"];
/** A run's or a node's error: its code, a sentence, and (a run's) the node that failed. */
export type Failure = Schemas["Failure"];

/** The failure code of a node that did not run because one it reads from failed (its
 * status is `failed`). */
export const UPSTREAM_FAILED = "upstream_failed" satisfies FailureCode;

export type RunPublic = Schemas["RunPublic"];
export type RunsPublic = Schemas["RunsPublic"];
export type NodeResult = Schemas["NodeResultPublic"];
export type RunDetail = Schemas["RunDetail"];
export type RunCreate = Refine<Schemas["RunCreate"], { document: GraphDocument | null }>;
export type RunAccepted = Schemas["RunAccepted"];
export type ReplayAccepted = Schemas["ReplayAccepted"];
/** What a replay says of a node (app/engine/vocabulary.py ReplayVerdict). */
export type ReplayVerdict = Schemas["ReplayVerdict"];
export type NodeVerdict = Schemas["NodeVerdictPublic"];
/** `POST /api/graphs/{id}/run`: run a saved graph as an API and wait for its outputs. */
export type GraphRun = Schemas["GraphRun"];
export type GraphRunResult = Schemas["GraphRunResult"];

/** One run event (app/engine/events.py), as the websocket sends it and
 * `GET /api/runs/{id}/events` lists it. */
export type RunEvent = Schemas["RunEventPublic"];
export type EventType = Schemas["EventType"];

/** An artifact reference in a node's outputs (app/services/outputs.py; inside the outputs,
 * which OpenAPI leaves untyped). */
export interface ArtifactRef {
  $artifact: string;
  mime: string;
  size: number;
  url: string;
  preview?: string;
  width?: number;
  height?: number;
  seconds?: number;
  shape?: number[];
}

// -- evaluations (`/api/graphs/{id}/evals`, `/api/evals/{id}`) -----------------------------

/** A graph version's evaluation over a dataset of cases, without the cases. */
export type EvalPublic = Refine<Schemas["EvalPublic"], { summary: Record<string, CheckSummary> }>;
export type EvalsPublic = Refine<Schemas["EvalsPublic"], { data: EvalPublic[] }>;
/** One check's tally (app/services/evaluation.py `summarize_checks`; a free dict in OpenAPI):
 * its pass rate is over the cases it judged (a case without its expected value skips it). */
export type CheckSummary = {
  output: string;
  kind: string;
  passed: number;
  failed: number;
  skipped: number;
  pass_rate: number | null;
};
/** One check on one case: passed, failed, or skipped (`null`). */
export type CheckVerdict = { name: string; passed: boolean | null; message: string };
/** One case's result (app/services/evaluation.py `CaseResult.to_json`). */
export type CaseResult = {
  id: string;
  status: "passed" | "failed";
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  checks: CheckVerdict[];
  duration_s: number;
  run_id: string;
  error: { code: string; message: string; node_id?: string } | null;
  ran: string[];
  from_cache: string[];
};
export type EvalDetail = Refine<Schemas["EvalDetail"], { summary: Record<string, CheckSummary>; results: CaseResult[] }>;

// -- uploads (`POST /api/uploads`) ------------------------------------------------------

/** Where the server stored an uploaded file: its path is what file inputs take. */
export type UploadPublic = Schemas["UploadPublic"];

// -- export / import --------------------------------------------------------------------

/** A node whose stored `version` was older than the installed one, upgraded on import. */
export type MigratedNode = {
  node_id: string;
  type: string;
  from_version: number;
  to_version: number;
};

/** Something an imported graph names that this installation lacks, and how to get it. */
export type MissingThing = {
  kind: "node_type" | "model";
  name: string;
  nodes: string[];
  hint: string;
};

export type ImportResult = Refine<Schemas["ImportReport"], { graph: GraphDetail; migrated: MigratedNode[]; missing: MissingThing[] }>;

// -- sharing ----------------------------------------------------------------------------

export type ShareMode = Schemas["ShareMode"];

/** `version` null (or unset): follow the latest version. */
export type ShareCreate = Schemas["ShareCreate"];
/** `url`: `/s/{token}` (view, fork) or `/demo/{token}` (demo), on this server. */
export type SharePublic = Schemas["SharePublic"];
export type SharesPublic = Schemas["SharesPublic"];
/** `GET /api/shares/{token}`: what a share link shows (`document` null in demo mode). */
export type SharedGraph = Refine<Schemas["SharedGraph"], { document: GraphDocument | null }>;

// -- auth -------------------------------------------------------------------------------

/** A signed-in account (`genaisys users add NAME` makes one, with its API token). */
export type User = Schemas["UserPublic"];
export type Login = Schemas["Login"];
/** `GET /api/auth/me` and `POST /api/auth/login`: is the server in auth mode, and who is
 * signed in (null: nobody, or auth off). */
export type AuthMe = Schemas["Me"];

// -- errors -----------------------------------------------------------------------------

/** What every failed call answers (app/api/errors.py; OpenAPI has no schema for it). */
export type ErrorBody = { error?: { code?: string; message?: string; details?: unknown } };

// -- starting an evaluation (`POST /api/graphs/{id}/evals`) ------------------------------

export type EvalCreate = Schemas["EvalCreate"];
export type CheckCreate = Schemas["CheckCreate"];
export type CheckKind = Schemas["CheckKind"];
export type EvalAccepted = Schemas["EvalAccepted"];


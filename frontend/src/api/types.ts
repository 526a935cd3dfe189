/** The JSON shapes of the HTTP API (app/api/schemas/, nodes/api.py, app/engine/*). */

import type { components } from "./schema.gen";

// The catalog (`GET /api/nodes`) is generated from the OpenAPI document (app/api/schemas/'s
// Catalog): `npm run gen:api` after `scripts/export_openapi.py`; the build fails when stale.
type Schemas = components["schemas"];
export type Widget = NonNullable<Schemas["CatalogInput"]["widget"]>;
export type CatalogInput = Schemas["CatalogInput"];
export type CatalogOutput = Schemas["CatalogOutput"];
export type CatalogNode = Schemas["CatalogNode"];
export type CatalogType = Schemas["CatalogType"];
export type CatalogResponse = Schemas["Catalog"];

// -- graph document (genaisys.graph/1) --------------------------------------------------

export interface DocNode {
  id: string;
  type: string;
  version?: number | null;
  params: Record<string, unknown>;
  position: { x: number; y: number };
  title?: string | null;
}

export interface DocEdge {
  id: string;
  source: string;
  source_port: string;
  target: string;
  target_port: string;
}

export interface GraphDocument {
  schema: "genaisys.graph/1";
  name: string;
  description: string;
  nodes: DocNode[];
  edges: DocEdge[];
  meta?: Record<string, unknown>;
}

// -- validation -------------------------------------------------------------------------

/** `Problem.to_json()`: a stable code, a sentence, and where it is. */
export interface Problem {
  code: string;
  message: string;
  node_id?: string;
  port?: string;
  param?: string;
  edge_id?: string;
  path?: string;
  nodes?: string[];
}

export type NodeTypes = { inputs: Record<string, string>; outputs: Record<string, string> };

export interface ValidationReport {
  valid: boolean;
  problems: Problem[];
  types: Record<string, NodeTypes>;
}

// -- graphs -----------------------------------------------------------------------------

export interface GraphPublic {
  id: string;
  name: string;
  description: string;
  latest_version: number;
  created_at: string;
  updated_at: string;
  deleted: boolean;
}

export interface GraphDetail extends GraphPublic {
  version: number;
  document: GraphDocument;
  problems: Problem[];
}

export interface VersionPublic {
  number: number;
  message: string;
  created_at: string;
}

export interface VersionDetail extends VersionPublic {
  graph_id: string;
  document: GraphDocument;
}

export interface Page<T> {
  data: T[];
  count: number;
}

// -- runs -------------------------------------------------------------------------------

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";

export interface RunPublic {
  id: string;
  graph_id: string | null;
  graph_version: number | null;
  status: RunStatus;
  inputs: Record<string, unknown>;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_s: number | null;
  error: { code: string; message: string; node_id?: string } | null;
  outputs: Record<string, unknown> | null;
}

export interface NodeResult {
  node_id: string;
  type: string;
  status: string;
  reason: string | null;
  duration_s: number | null;
  outputs: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
}

export interface RunDetail extends RunPublic {
  nodes: NodeResult[];
}

export interface RunAccepted {
  id: string;
  status: string;
  events_url: string;
}

/** One websocket event (app/engine/events.py). */
export interface RunEvent {
  type: "run_started" | "node_started" | "node_progress" | "node_cached" | "node_finished" | "node_failed" | "run_finished";
  run_id: string;
  seq: number;
  ts: number;
  node_id?: string;
  data?: Record<string, unknown>;
}

/** An artifact reference in a node's outputs (app/services/outputs.py). */
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

// -- export / import --------------------------------------------------------------------

/** A node whose stored `version` was older than the installed one, upgraded on import. */
export interface MigratedNode {
  node_id: string;
  type: string;
  from_version: number;
  to_version: number;
}

/** Something an imported graph names that this installation lacks, and how to get it. */
export interface MissingThing {
  kind: "node_type" | "model";
  name: string;
  nodes: string[];
  hint: string;
}

export interface ImportResult {
  graph: GraphDetail;
  migrated: MigratedNode[];
  missing: MissingThing[];
}

// -- sharing ----------------------------------------------------------------------------

export type ShareMode = "view" | "fork" | "demo";

export interface ShareCreate {
  mode: ShareMode;
  /** null: follow the latest version */
  version: number | null;
  expires_in_days: number | null;
}

export interface SharePublic {
  token: string;
  graph_id: string;
  mode: ShareMode;
  version: number | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  active: boolean;
  /** `/s/{token}` (view, fork) or `/demo/{token}` (demo), on this server */
  url: string;
}

/** `GET /api/shares/{token}`: what a share link shows. */
export interface SharedGraph {
  token: string;
  mode: ShareMode;
  graph_name: string;
  description: string;
  version: number | null;
  /** null in demo mode */
  document: GraphDocument | null;
  demo_url: string | null;
}

/** A signed-in account (`genaisys users add NAME` makes one, with its API token). */
export interface User {
  id: string;
  name: string;
}

/** `GET /api/auth/me` and `POST /api/auth/login`: is the server in auth mode, and who is
 * signed in (null: nobody, or auth off). */
export interface AuthMe {
  auth: boolean;
  user: User | null;
}

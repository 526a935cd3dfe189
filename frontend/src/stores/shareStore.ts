/** The share link this page was opened from (`/s/{token}`), if any: its token, mode and
 * whether the shared graph could be read. What a visitor may do follows from the mode
 * (`permissions`); the graph itself is in the graph store, locked read-only. */

import { create } from "zustand";
import type { ShareMode, SharedGraph } from "../api/types";

export type ShareStatus = "none" | "loading" | "ready" | "missing" | "error";

export interface ShareState {
  token: string | null;
  status: ShareStatus;
  mode: ShareMode | null;
  graphName: string;
  description: string;
  version: number | null;
  demoUrl: string | null;
  error: string | null;
  begin: (token: string) => void;
  opened: (shared: SharedGraph) => void;
  failed: (missing: boolean, error: string) => void;
}

export const useShare = create<ShareState>()((set) => ({
  token: null,
  status: "none",
  mode: null,
  graphName: "",
  description: "",
  version: null,
  demoUrl: null,
  error: null,
  begin: (token) => set({ token, status: "loading", error: null }),
  opened: (s) => set({
    status: "ready", mode: s.mode, graphName: s.graph_name, description: s.description, version: s.version, demoUrl: s.demo_url,
  }),
  failed: (missing, error) => set({ status: missing ? "missing" : "error", error }),
}));

/** The token of a share page's path (`/s/{token}`), or null on the studio itself. */
export function parseShareToken(pathname: string): string | null {
  const m = /^\/s\/([^/?#]+)\/?$/.exec(pathname);
  return m ? decodeURIComponent(m[1]!) : null;
}

export interface Permissions {
  /** change the graph: drag, connect, widgets, add, delete, paste, undo */
  edit: boolean;
  /** New, Open, Save, Import, Export, Share, API */
  files: boolean;
  run: boolean;
  /** "Copy to my graphs" */
  fork: boolean;
}

const OWNER: Permissions = { edit: true, files: true, run: true, fork: false };
const VISITOR: Permissions = { edit: false, files: false, run: false, fork: false };

/** What the canvas offers: everything on the studio itself (token null); on a share link,
 * a read-only view, with a copy into one's own graphs for a fork link. */
export function permissions(token: string | null, mode: ShareMode | null): Permissions {
  if (token === null) return OWNER;
  return mode === "fork" ? { ...VISITOR, fork: true } : VISITOR;
}

export const usePermissions = (): Permissions => {
  const token = useShare((s) => s.token);
  const mode = useShare((s) => s.mode);
  return permissions(token, mode);
};

/** Outside React: is this page a share link? */
export const isSharePage = (): boolean => useShare.getState().token !== null;

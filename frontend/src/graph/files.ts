/** New, open, save (with the 409 conflict handled), versions: the file actions, between the
 * API and the graph store. The user's document is never dropped: a conflict keeps it. */

import { ApiError, api } from "../api/client";
import type { GraphDetail } from "../api/types";
import { isDirty, resetGraph, useGraph } from "../stores/graphStore";
import { useRun } from "../stores/runStore";
import { forgetNesting } from "../stores/subgraphStore";
import { toast } from "../stores/toastStore";
import { confirmDialog, useUi } from "../stores/uiStore";

/** True when there is nothing unsaved, or the user agrees to drop it. */
export async function confirmDiscard(what: string): Promise<boolean> {
  if (!isDirty(useGraph.getState())) return true;
  return confirmDialog("Unsaved changes", `This graph has changes that are not saved. ${what} anyway and lose them?`);
}

export function show(detail: GraphDetail): void {
  useGraph.getState().load(detail.document, { graphId: detail.id, version: detail.version });
  useRun.getState().clear();
  useUi.getState().requestFit();
  setLocationGraph(detail.id);
}

/** Keep the open graph in the address (`#graph=ID`), so a reload reopens it. */
export function setLocationGraph(id: string | null): void {
  const hash = id ? `#graph=${encodeURIComponent(id)}` : "";
  if (location.hash !== hash) history.replaceState(null, "", `${location.pathname}${location.search}${hash}`);
}

export function locationGraph(): string | null {
  const m = /[#&]graph=([^&]+)/.exec(location.hash);
  return m ? decodeURIComponent(m[1]!) : null;
}

export async function newGraph(): Promise<void> {
  if (!(await confirmDiscard("Start a new graph"))) return;
  resetGraph();
  forgetNesting();
  useRun.getState().clear();
  useUi.getState().requestFit(); // an empty graph's fit is home: zoom 1, not the last graph's view
  setLocationGraph(null);
}

export async function openGraph(id: string, ask = true): Promise<boolean> {
  if (ask && !(await confirmDiscard("Open another graph"))) return false;
  try {
    show(await api.readGraph(id));
    forgetNesting(); // a graph opened from the library: the subgraph breadcrumbs start again
    return true;
  } catch (err) {
    toast.error(`Could not open the graph: ${(err as Error).message}`);
    return false;
  }
}

export async function saveGraph(message: string): Promise<boolean> {
  const g = useGraph.getState();
  const doc = g.document();
  const revision = g.revision;
  try {
    const saved = g.graphId && g.version
      ? await api.updateGraph(g.graphId, doc, g.version, message)
      : await api.createGraph(doc, message);
    useGraph.getState().markSaved(saved.id, saved.version, revision);
    setLocationGraph(saved.id);
    toast.success(`Saved "${saved.name}" as version ${saved.version}`);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === "version_conflict") {
      const d = (err.details ?? {}) as { current?: number; based_on?: number };
      useUi.getState().openDialog({ kind: "conflict", current: d.current ?? 0, basedOn: d.based_on ?? g.version ?? 0 });
      return false;
    }
    toast.error(`Not saved: ${(err as Error).message}`);
    return false;
  }
}

/** Conflict: keep my document as a new graph of its own. */
export async function saveAsCopy(): Promise<void> {
  const g = useGraph.getState();
  const doc = { ...g.document(), name: `${g.name} (copy)` };
  const revision = g.revision;
  try {
    const saved = await api.createGraph(doc, `copy of ${g.graphId ?? "a graph"}, saved during a conflict`);
    useGraph.setState({ name: saved.name });
    useGraph.getState().markSaved(saved.id, saved.version, revision);
    setLocationGraph(saved.id);
    toast.success(`Saved as a new graph, "${saved.name}"`);
    useUi.getState().closeDialog();
  } catch (err) {
    toast.error(`Not saved: ${(err as Error).message}`);
  }
}

/** Conflict: save my document over theirs, as a version after theirs (theirs stays in history). */
export async function saveOverTheirs(current: number): Promise<void> {
  const g = useGraph.getState();
  if (!g.graphId) return;
  const revision = g.revision;
  try {
    const saved = await api.updateGraph(g.graphId, g.document(), current, `saved over version ${current} after a conflict`);
    useGraph.getState().markSaved(saved.id, saved.version, revision);
    toast.success(`Saved as version ${saved.version}; version ${current} stays in the history`);
    useUi.getState().closeDialog();
  } catch (err) {
    toast.error(`Not saved: ${(err as Error).message}`);
  }
}

/** Conflict: load their latest version; my document stays one undo (Ctrl+Z) away. */
export async function reloadTheirs(): Promise<void> {
  const g = useGraph.getState();
  if (!g.graphId) return;
  const mine = { nodes: g.nodes, edges: g.edges, name: g.name, description: g.description };
  try {
    show(await api.readGraph(g.graphId));
    useGraph.setState({ past: [mine] });
    toast.info("Loaded the latest saved version. Your edits are one undo (Ctrl+Z) away.");
    useUi.getState().closeDialog();
  } catch (err) {
    toast.error(`Could not reload: ${(err as Error).message}`);
  }
}

export async function restoreVersion(n: number): Promise<void> {
  const g = useGraph.getState();
  if (!g.graphId || !(await confirmDiscard(`Restore version ${n}`))) return;
  try {
    show(await api.restoreVersion(g.graphId, n));
    toast.success(`Version ${n} restored as version ${useGraph.getState().version}`);
  } catch (err) {
    toast.error(`Could not restore: ${(err as Error).message}`);
  }
}

/** The Open dialog's actions on saved graphs: list them split into the seeded examples and
 * the user's own, rename, duplicate, delete (to the bin, with Undo). A graph open on the
 * canvas follows what happens to it: renamed, it shows the new name; deleted, the canvas
 * keeps it as an unsaved graph until Undo brings the saved one back. */

import { api } from "../api/client";
import type { GraphPublic } from "../api/types";
import { useGraph } from "../stores/graphStore";
import { useLibrary } from "../stores/libraryStore";
import { toast } from "../stores/toastStore";
import { setLocationGraph } from "./files";

/** What `seed_examples` (app/services/bootstrap.py) writes as an example's first version's message. The
 * API has no field that says "example"; this message is the marker it already returns. */
export const EXAMPLE_MESSAGE = /^example [^\s/]+\.json$/;

/** Ask at most this many version lists at once (the server may be a 2-core laptop). */
const PARALLEL = 4;

export interface Library {
  examples: GraphPublic[];
  mine: GraphPublic[];
}

async function isExample(id: string): Promise<boolean> {
  try {
    const versions = await api.listVersions(id);
    const first = versions.data.find((v) => v.number === 1);
    return !!first && EXAMPLE_MESSAGE.test(first.message);
  } catch {
    return false; // unknown origin: listed as the user's own, which it can always be opened from
  }
}

/** Which of these graphs are seeded examples, asking the server only about the new ones. */
async function learnOrigins(graphs: readonly GraphPublic[]): Promise<Record<string, boolean>> {
  const known = useLibrary.getState().examples;
  const ask = graphs.map((g) => g.id).filter((id) => known[id] === undefined);
  const learned: Record<string, boolean> = {};
  for (let i = 0; i < ask.length; i += PARALLEL) {
    const batch = ask.slice(i, i + PARALLEL);
    const answers = await Promise.all(batch.map(isExample));
    batch.forEach((id, j) => (learned[id] = answers[j]!));
  }
  if (ask.length) useLibrary.getState().learn(learned);
  return { ...known, ...learned };
}

export async function listLibrary(search: string): Promise<Library> {
  const graphs = (await api.listGraphs(search)).data;
  const examples = await learnOrigins(graphs);
  return { examples: graphs.filter((g) => examples[g.id]), mine: graphs.filter((g) => !examples[g.id]) };
}

/** Rename: the API changes a name by saving a version whose document carries it (the
 * version history says so). The canvas showing this graph takes the name and the version. */
export async function renameGraph(graph: GraphPublic, name: string): Promise<boolean> {
  const wanted = name.trim();
  if (!wanted || wanted === graph.name) return false;
  try {
    const latest = await api.readGraph(graph.id);
    const saved = await api.updateGraph(graph.id, { ...latest.document, name: wanted }, latest.version, `renamed to "${wanted}"`);
    const g = useGraph.getState();
    // unsaved edits stay unsaved, now based on the renamed version (no conflict on the next save)
    if (g.graphId === graph.id) useGraph.setState({ name: saved.name, version: saved.version });
    toast.success(`Renamed "${graph.name}" to "${saved.name}"`);
    return true;
  } catch (err) {
    toast.error(`Not renamed: ${(err as Error).message}`);
    return false;
  } finally {
    useLibrary.getState().changed();
  }
}

export const copyName = (name: string): string => `${name} (copy)`;

/** Duplicate: a new graph of the user's own, from the latest version of this one. */
export async function duplicateGraph(graph: GraphPublic): Promise<GraphPublic | null> {
  try {
    const latest = await api.readGraph(graph.id);
    const copy = await api.createGraph({ ...latest.document, name: copyName(latest.name) }, `copy of "${latest.name}" (${graph.id})`);
    useLibrary.getState().learn({ [copy.id]: false });
    toast.success(`Copied as "${copy.name}"`);
    return copy;
  } catch (err) {
    toast.error(`Not copied: ${(err as Error).message}`);
    return null;
  } finally {
    useLibrary.getState().changed();
  }
}

/** Delete: to the bin (`DELETE`), recoverable; the toast's Undo brings it back
 * (`POST …/undelete`). The canvas showing it keeps the document, as unsaved work. */
export async function deleteGraph(graph: GraphPublic): Promise<boolean> {
  try {
    await api.deleteGraph(graph.id);
  } catch (err) {
    toast.error(`Not deleted: ${(err as Error).message}`);
    return false;
  }
  const g = useGraph.getState();
  const open = g.graphId === graph.id ? { version: g.version, revision: g.revision, savedRevision: g.savedRevision } : null;
  if (open) {
    useGraph.setState({ graphId: null, version: null, savedRevision: -1 });
    setLocationGraph(null);
  }
  useLibrary.getState().changed();
  toast.info(`Deleted "${graph.name}"${open ? " (the canvas keeps it, unsaved)" : ""}`, { label: "Undo", run: () => void undelete(graph, open) });
  return true;
}

async function undelete(graph: GraphPublic, open: { version: number | null; revision: number; savedRevision: number } | null): Promise<void> {
  try {
    await api.undeleteGraph(graph.id);
  } catch (err) {
    toast.error(`Not restored: ${(err as Error).message}`);
    return;
  }
  const g = useGraph.getState();
  // the canvas still shows the deleted graph as it was: it is that saved graph again
  if (open && g.graphId === null && g.revision === open.revision) {
    useGraph.setState({ graphId: graph.id, version: open.version, savedRevision: open.savedRevision });
    setLocationGraph(graph.id);
  }
  useLibrary.getState().changed();
  toast.success(`Restored "${graph.name}"`);
}

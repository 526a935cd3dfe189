/** Graph files: export the open graph (`genaisys.graph/1` JSON) and import one, by the
 * Import button or by dropping the file on the canvas. An import is saved by the server as a
 * new graph and opened; what it lacks or upgraded is reported. */

import { api } from "../api/client";
import type { GraphDocument, ImportResult } from "../api/types";
import { isDirty, useGraph } from "../stores/graphStore";
import { toast } from "../stores/toastStore";
import { useUi } from "../stores/uiStore";
import { confirmDiscard, show } from "./files";

export const FILE_SUFFIX = ".genaisys.json";

/** `<name>.genaisys.json`, with the characters file systems refuse replaced. */
export function exportFileName(name: string): string {
  const base = name.trim().replace(/[\\/:*?"<>|\u0000-\u001f]+/g, "_").replace(/^\.+/, "").slice(0, 120) || "graph";
  return `${base}${FILE_SUFFIX}`;
}

function download(href: string, fileName?: string): void {
  const a = document.createElement("a");
  a.href = href;
  if (fileName) a.download = fileName;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function downloadDocument(doc: GraphDocument): void {
  const url = URL.createObjectURL(new Blob([`${JSON.stringify(doc, null, 2)}\n`], { type: "application/json" }));
  download(url, exportFileName(doc.name));
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A saved, unchanged graph comes from the server's export (the stored version exactly);
 * an unsaved or edited one is written here from what the canvas holds. */
export function exportGraph(): void {
  const g = useGraph.getState();
  if (g.graphId && g.version && !isDirty(g)) {
    download(api.exportUrl(g.graphId, g.version));
    return;
  }
  downloadDocument(g.document());
  if (g.graphId) toast.info("Exported what the canvas shows, unsaved edits included.");
}

export const isGraphFile = (file: File): boolean => /\.json$/i.test(file.name) || file.type === "application/json";

/** The first graph file among dropped or picked files. */
export function pickGraphFile(files: FileList | File[] | null | undefined): File | null {
  return Array.from(files ?? []).find(isGraphFile) ?? null;
}

export async function importFile(file: File): Promise<ImportResult | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await file.text());
  } catch (err) {
    toast.error(`${file.name} is not JSON: ${(err as Error).message}`);
    return null;
  }
  if (!(await confirmDiscard("Import a graph"))) return null;
  try {
    const result = await api.importGraph(parsed);
    show(result.graph);
    if (result.missing.length || result.migrated.length) useUi.getState().openDialog({ kind: "import", result });
    else toast.success(`Imported "${result.graph.name}"`);
    return result;
  } catch (err) {
    toast.error(`Could not import ${file.name}: ${(err as Error).message}`);
    return null;
  }
}

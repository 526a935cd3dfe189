/** Keyboard: Ctrl+Enter run, Ctrl+S save, Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) undo/redo,
 * Ctrl+C / Ctrl+V / Ctrl+D copy, paste, duplicate, Ctrl+G group into a subgraph, ? or F1 the list of all of them
 * (`SHORTCUTS`, which the help dialog shows). Inside a text field, the field's own undo and
 * clipboard win. Delete and box select (Shift+drag) are React Flow's. A read-only graph (a
 * share link) takes none of the editing ones: Ctrl+S and Ctrl+Enter are swallowed. */

import { useEffect } from "react";
import { copy, duplicate, paste } from "../graph/editing";
import { startRun } from "../graph/runner";
import { groupSelection } from "../graph/subgraphs";
import { useGraph } from "../stores/graphStore";
import { useUi } from "../stores/uiStore";

const typing = (target: EventTarget | null): boolean => {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
};

export interface Shortcut {
  keys: string[];
  what: string;
  /** an edit: not on a read-only (share link) page */
  edit: boolean;
  /** done with the mouse, not the keyboard */
  mouse?: boolean;
}

/** Every shortcut and gesture of the canvas, as the help dialog lists them; the handler below,
 * React Flow's props in canvas/Canvas.tsx and the quick-add are what make them true. */
export const SHORTCUTS: Shortcut[] = [
  { keys: ["Ctrl+Enter"], what: "Run the graph", edit: true },
  { keys: ["Ctrl+S"], what: "Save (a new version)", edit: true },
  { keys: ["Ctrl+Z"], what: "Undo", edit: true },
  { keys: ["Ctrl+Shift+Z", "Ctrl+Y"], what: "Redo", edit: true },
  { keys: ["Ctrl+C"], what: "Copy the selected nodes", edit: true },
  { keys: ["Ctrl+V"], what: "Paste", edit: true },
  { keys: ["Ctrl+D"], what: "Duplicate the selected nodes", edit: true },
  { keys: ["Ctrl+G"], what: "Group the selected nodes into a subgraph (a saved graph used as one node)", edit: true },
  { keys: ["Double-click a subgraph node"], what: "Open the graph it runs (the breadcrumbs lead back)", edit: false },
  { keys: ["Delete", "Backspace"], what: "Delete the selected nodes and edges", edit: true },
  { keys: ["?", "F1"], what: "This list", edit: false },
  { keys: ["Escape"], what: "Close a dialog or the node search", edit: false },
  { keys: ["Double-click the canvas"], what: "Search for a node to add there", edit: true, mouse: true },
  { keys: ["Drop a wire on the canvas"], what: "Add a node that takes it, connected", edit: true, mouse: true },
  { keys: ["Double-click a node's title"], what: "Rename the node", edit: true, mouse: true },
  { keys: ["Shift+drag"], what: "Select the nodes in a box", edit: false, mouse: true },
  { keys: ["Ctrl+click"], what: "Add to the selection", edit: false, mouse: true },
  { keys: ["Drag the canvas", "Wheel"], what: "Pan, zoom", edit: false, mouse: true },
];

const isHelpKey = (e: KeyboardEvent): boolean => e.key === "F1" || (e.key === "?" && !e.ctrlKey && !e.metaKey && !e.altKey);

export function handleShortcut(e: KeyboardEvent): boolean {
  const mod = e.ctrlKey || e.metaKey;
  if (isHelpKey(e) && (e.key === "F1" || !typing(e.target))) {
    const ui = useUi.getState();
    if (ui.dialog?.kind === "shortcuts") ui.closeDialog();
    else if (!ui.dialog) ui.openDialog({ kind: "shortcuts" });
    return true;
  }
  if (!mod) return false;
  const key = e.key.toLowerCase();
  if (useGraph.getState().readOnly) return key === "s" || key === "enter";
  if (key === "enter") {
    void startRun();
    return true;
  }
  if (key === "s") {
    if (!useUi.getState().dialog) useUi.getState().openDialog({ kind: "save" });
    return true;
  }
  if (typing(e.target) || useUi.getState().dialog) return false;
  const graph = useGraph.getState();
  if (key === "z" && !e.shiftKey) graph.undo();
  else if ((key === "z" && e.shiftKey) || key === "y") graph.redo();
  else if (key === "c") return copy();
  else if (key === "v") paste();
  else if (key === "d") duplicate();
  else if (key === "g") void groupSelection();
  else return false;
  return true;
}

export function useShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (handleShortcut(e)) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

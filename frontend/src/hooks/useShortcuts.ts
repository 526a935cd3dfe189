/** Keyboard: Ctrl+Enter run, Ctrl+S save, Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) undo/redo,
 * Ctrl+C / Ctrl+V / Ctrl+D copy, paste, duplicate. Inside a text field, the field's own
 * undo and clipboard win. Delete and box select (Shift+drag) are React Flow's. A read-only
 * graph (a share link) takes none of them: Ctrl+S and Ctrl+Enter are swallowed. */

import { useEffect } from "react";
import { copy, duplicate, paste } from "../graph/editing";
import { startRun } from "../graph/runner";
import { useGraph } from "../stores/graphStore";
import { useUi } from "../stores/uiStore";

const typing = (target: EventTarget | null): boolean => {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
};

export function handleShortcut(e: KeyboardEvent): boolean {
  const mod = e.ctrlKey || e.metaKey;
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

/** Start-up: load the catalog, wire the validator to graph edits, open the graph named in
 * the address (or an empty one), and warn before leaving with unsaved changes. A share
 * link's page (`/s/{token}`) opens the shared graph read-only instead. */

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./styles.css";
import { App } from "./App";
import { locationGraph, openGraph } from "./graph/files";
import { enterShare, openShare } from "./graph/sharing";
import { installTypeColors, useCatalog } from "./stores/catalogStore";
import { isDirty, resetGraph, useGraph } from "./stores/graphStore";
import { parseShareToken } from "./stores/shareStore";
import { useValidation } from "./stores/validationStore";

useGraph.subscribe((s, prev) => {
  if (s.structureRevision !== prev.structureRevision) {
    // a graph just opened is checked at once (its dynamic ports come from the answer)
    const delay = s.loads !== prev.loads ? 0 : 300;
    useValidation.getState().schedule(() => useGraph.getState().document(), s.structureRevision, delay);
  }
});

useCatalog.subscribe((s, prev) => {
  if (s.colors !== prev.colors) installTypeColors(s.colors);
});

window.addEventListener("beforeunload", (e) => {
  if (isDirty(useGraph.getState())) e.preventDefault();
});

/** For automation (the browser tests, scripts): read the open document; changes nothing. */
(window as unknown as { genaisysStudio: unknown }).genaisysStudio = {
  document: () => useGraph.getState().document(),
  dirty: () => isDirty(useGraph.getState()),
  readOnly: () => useGraph.getState().readOnly,
};

async function start(): Promise<void> {
  const token = parseShareToken(location.pathname);
  if (token) enterShare(token); // before the first call: every call carries the token
  await useCatalog.getState().load();
  if (useCatalog.getState().status !== "ready") return;
  if (token) return openShare(token);
  const id = locationGraph();
  if (!id || !(await openGraph(id, false))) resetGraph();
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void start();

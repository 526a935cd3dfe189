/** Start-up: wire the validator to graph edits, warn before leaving with unsaved changes, and
 * `start` (graph/session): sign in first on a server in auth mode, then load the catalog and
 * open the graph named in the address (or an empty one). A share link's page (`/s/{token}`)
 * opens the shared graph read-only instead, without asking anyone to sign in. */

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "@xyflow/react/dist/style.css";
import "./styles.css";
import { App } from "./App";
import { start } from "./graph/session";
import { watchGoneWires } from "./graph/wires";
import { installTypeColors, useCatalog } from "./stores/catalogStore";
import { isDirty, useGraph } from "./stores/graphStore";
import { useValidation } from "./stores/validationStore";

useGraph.subscribe((s, prev) => {
  if (s.structureRevision !== prev.structureRevision) {
    // a graph just opened is checked at once (its dynamic ports come from the answer)
    const delay = s.loads !== prev.loads ? 0 : 300;
    useValidation.getState().schedule(() => useGraph.getState().document(), s.structureRevision, delay);
  }
});

// a wire whose port the validator says is gone (a renamed `{slot}`) is removed, undoably
watchGoneWires();

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

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void start();

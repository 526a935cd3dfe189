/** The studio: toolbar on top, palette left, canvas centre, side panel right. */

import { ReactFlowProvider } from "@xyflow/react";
import { Canvas } from "./canvas/Canvas";
import { Dialogs } from "./components/Dialogs";
import { Palette } from "./components/Palette";
import { SidePanel } from "./components/SidePanel";
import { Toasts } from "./components/Toasts";
import { Toolbar } from "./components/Toolbar";
import { useShortcuts } from "./hooks/useShortcuts";
import { useCatalog } from "./stores/catalogStore";

function Loading() {
  const status = useCatalog((s) => s.status);
  const error = useCatalog((s) => s.error);
  return (
    <div className="loading">
      {status === "error" ? (
        <>
          <p className="error">Could not load the node catalog: {error}</p>
          <button type="button" className="btn" onClick={() => void useCatalog.getState().load()}>Try again</button>
        </>
      ) : (
        <p>Loading the node catalog…</p>
      )}
    </div>
  );
}

export function App() {
  const ready = useCatalog((s) => s.status === "ready");
  useShortcuts();
  if (!ready) return <Loading />;
  return (
    <ReactFlowProvider>
      <div className="app">
        <Toolbar />
        <Palette />
        <Canvas />
        <SidePanel />
      </div>
      <Dialogs />
      <Toasts />
    </ReactFlowProvider>
  );
}

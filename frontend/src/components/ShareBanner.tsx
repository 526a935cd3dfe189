/** The top bar of a share link's page: what this is, and (fork links) the way to a copy of
 * one's own. Nothing here can change or save the graph. */

import { useReactFlow, useStoreApi } from "@xyflow/react";
import { useState } from "react";
import { fitGraph } from "../canvas/fit";
import type { StudioEdge, StudioNode } from "../graph/document";
import { forkShared } from "../graph/sharing";
import { usePermissions, useShare } from "../stores/shareStore";
import { useUi } from "../stores/uiStore";
import { ValidityDot } from "./Toolbar";

export function ShareBanner() {
  const name = useShare((s) => s.graphName);
  const mode = useShare((s) => s.mode);
  const version = useShare((s) => s.version);
  const { fork: canFork } = usePermissions();
  const flow = useReactFlow<StudioNode, StudioEdge>();
  const store = useStoreApi();
  const [busy, setBusy] = useState(false);
  const fork = async (): Promise<void> => {
    setBusy(true);
    await forkShared();
    setBusy(false);
  };
  return (
    <header className="toolbar share-banner" data-testid="share-banner" data-mode={mode ?? ""}>
      <span className="brand">GenAISys <b>Studio</b></span>
      <span className="share-title">Shared read-only view of <b>{name}</b></span>
      <span className="file-state">{version ? `v${version}` : "latest"}</span>
      <button type="button" className="btn" onClick={() => fitGraph(flow, store.getState(), 300)}>Fit view</button>
      <ValidityDot />
      <div className="spacer" />
      {canFork && (
        <button type="button" className="btn primary" disabled={busy} onClick={() => void fork()} title="Save a copy into your own graphs and open it">
          Copy to my graphs
        </button>
      )}
      <button type="button" className="btn icon" onClick={() => useUi.getState().togglePanel()} title="Show or hide the side panel" aria-label="Toggle panel">☰</button>
    </header>
  );
}

/** A share link that does not (or no longer) answer. */
export function ShareMissing({ error }: { error: string | null }) {
  return (
    <div className="loading share-missing" data-testid="share-missing">
      <div>
        <h2>Link not found</h2>
        <p>This share link was not found: it may have been revoked, or it has expired.</p>
        <p className="muted">{error}</p>
        <a className="btn" href="/">Open the studio</a>
      </div>
    </div>
  );
}

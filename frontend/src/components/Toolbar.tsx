/** The top bar: file actions (import, export, share, API too), the graph's name, undo/redo, layout, Run / Cancel, and
 * (a server in auth mode) who is signed in, with "Sign out". */

import { useReactFlow, useStoreApi } from "@xyflow/react";
import { fitGraph } from "../canvas/fit";
import type { StudioEdge, StudioNode } from "../graph/document";
import { autoLayout } from "../graph/editing";
import { newGraph } from "../graph/files";
import { cancelRun, startRun } from "../graph/runner";
import { signOut } from "../graph/session";
import { groupSelection } from "../graph/subgraphs";
import { isDirty, useGraph } from "../stores/graphStore";
import { isActive, useRun } from "../stores/runStore";
import { useUi } from "../stores/uiStore";
import { useValidation } from "../stores/validationStore";
import { ExchangeButtons } from "./ExchangeButtons";
import { Account } from "./SignInDialog";

function RunControls() {
  const phase = useRun((s) => s.phase);
  const past = useRun((s) => s.past);
  const active = isActive(phase);
  return (
    <div className="run-controls">
      {active ? (
        <button type="button" className="btn danger" onClick={() => void cancelRun()} title="Stop the run">■ Cancel</button>
      ) : (
        <button type="button" className="btn primary" onClick={() => void startRun()} title="Run the graph (Ctrl+Enter)">▶ Run</button>
      )}
      <span className={`run-phase phase-${phase}`} data-phase={phase}>
        {past ? `showing run of ${new Date(past.createdAt).toLocaleString()}` : phase === "idle" ? "" : phase}
      </span>
      {past && <button type="button" className="btn small" onClick={() => useRun.getState().clear()}>clear</button>}
    </div>
  );
}

/** The validator's verdict in one word; an empty canvas is not "valid" but a place to start. */
export function ValidityDot() {
  const status = useValidation((s) => s.status);
  const count = useValidation((s) => s.problems.length);
  const empty = useGraph((s) => s.nodes.length === 0);
  const readOnly = useGraph((s) => s.readOnly);
  const label = empty ? (readOnly ? "empty graph" : "empty: drag a node from the palette")
    : status === "pending" ? "checking…" : status === "error" ? "validator unreachable" : count ? `${count} problem${count > 1 ? "s" : ""}` : "valid";
  const tone = empty ? "empty" : status === "pending" ? "pending" : count ? "bad" : "good";
  return (
    <button type="button" className={`validity ${tone}`} onClick={() => useUi.getState().showTab("problems")} data-testid="validity">
      {label}
    </button>
  );
}

export function Toolbar() {
  const name = useGraph((s) => s.name);
  const dirty = useGraph(isDirty);
  const version = useGraph((s) => s.version);
  const canUndo = useGraph((s) => s.past.length > 0);
  const selected = useGraph((s) => !s.readOnly && s.nodes.some((n) => n.selected));
  const canRedo = useGraph((s) => s.future.length > 0);
  const flow = useReactFlow<StudioNode, StudioEdge>();
  const store = useStoreApi();
  const ui = useUi.getState;
  return (
    <header className="toolbar">
      <span className="brand">GenAISys <b>Studio</b></span>
      <div className="btn-group">
        <button type="button" className="btn" onClick={() => void newGraph()}>New</button>
        <button type="button" className="btn" onClick={() => ui().openDialog({ kind: "open" })}>Open</button>
        <button type="button" className="btn" onClick={() => ui().openDialog({ kind: "save" })} title="Save (Ctrl+S)">Save</button>
      </div>
      <ExchangeButtons />
      <input className="graph-name" value={name} onChange={(e) => useGraph.getState().setName(e.target.value)} aria-label="graph name" />
      <span className="file-state" data-testid="file-state">
        {dirty ? <span className="dirty" title="unsaved changes">● unsaved</span> : version ? `v${version}` : ""}
      </span>
      <div className="btn-group">
        <button type="button" className="btn icon" disabled={!canUndo} onClick={() => useGraph.getState().undo()} title="Undo (Ctrl+Z)" aria-label="Undo">↶</button>
        <button type="button" className="btn icon" disabled={!canRedo} onClick={() => useGraph.getState().redo()} title="Redo (Ctrl+Shift+Z)" aria-label="Redo">↷</button>
        <button type="button" className="btn" onClick={() => autoLayout(flow, store.getState())} title="Arrange the nodes left to right">Auto-layout</button>
        <button type="button" className="btn" disabled={!selected} onClick={() => void groupSelection()} data-testid="group"
          title="Save the selected nodes as a graph of their own, used here as one node (Ctrl+G)">Group into subgraph</button>
        <button type="button" className="btn" onClick={() => fitGraph(flow, store.getState(), 300)}>Fit view</button>
      </div>
      <ValidityDot />
      <div className="spacer" />
      <RunControls />
      <Account onSignOut={() => void signOut()} />
      <button type="button" className="btn icon" onClick={() => ui().openDialog({ kind: "shortcuts" })} title="Keyboard shortcuts (? or F1)"
        aria-label="Keyboard shortcuts">?</button>
      <button type="button" className="btn icon" onClick={() => ui().togglePanel()} title="Show or hide the side panel" aria-label="Toggle panel">☰</button>
    </header>
  );
}

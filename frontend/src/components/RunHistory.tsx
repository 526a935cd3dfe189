/** Runs of the open graph, newest first; open one to see its results on the canvas. */

import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { RunPublic } from "../api/types";
import { openStoredRun, replayRun } from "../graph/runner";
import { useGraph } from "../stores/graphStore";
import { isActive, useRun } from "../stores/runStore";
import { when } from "../format";


export function RunHistory() {
  const graphId = useGraph((s) => s.graphId);
  const phase = useRun((s) => s.phase);
  const shown = useRun((s) => s.runId);
  const [runs, setRuns] = useState<RunPublic[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!graphId || isActive(phase)) return;
    let live = true;
    api.listRuns(graphId).then((page) => live && setRuns(page.data), (err: Error) => live && setError(err.message));
    return () => { live = false; };
  }, [graphId, phase]);
  if (!graphId) return <p className="panel-empty">Save the graph to keep its run history. Runs of saved, unchanged graphs are listed here.</p>;
  if (error) return <p className="panel-empty error">{error}</p>;
  if (!runs) return <p className="panel-empty">Loading…</p>;
  if (!runs.length) return <p className="panel-empty">No runs of this graph yet.</p>;
  return (
    <ul className="runs" aria-label="run history">
      {runs.map((r) => (
        <li key={r.id} className={`run-item${r.id === shown ? " current" : ""}`} onClick={() => void openStoredRun(r.id)} data-run={r.id}>
          <span className={`run-badge run-${r.status}`}>{r.status}</span>
          <span className="run-when">{when(r.created_at)}</span>
          <span className="run-meta">v{r.graph_version ?? "?"}{r.duration_s !== null ? ` · ${r.duration_s.toFixed(1)} s` : ""}
            {r.replay_of ? ` · replay of ${r.replay_of.slice(0, 6)}` : ""}</span>
          {!isActive(r.status) && (
            <button type="button" className="link-button run-replay" disabled={isActive(phase)}
              title="Run it again as it ran (its inputs, params and seeds), past the cache, and compare every node's outputs"
              onClick={(e) => { e.stopPropagation(); void replayRun(r.id); }}>replay</button>
          )}
          {r.error && <div className="run-error">{r.error.message}</div>}
        </li>
      ))}
    </ul>
  );
}

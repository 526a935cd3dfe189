/** Open a saved graph (the examples are saved graphs too), with search. */

import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { GraphPublic } from "../api/types";
import { openGraph } from "../graph/files";
import { useUi } from "../stores/uiStore";
import { Modal } from "./Modal";
import { when } from "../format";


export function OpenDialog() {
  const [search, setSearch] = useState("");
  const [graphs, setGraphs] = useState<GraphPublic[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      api.listGraphs(search).then((p) => live && setGraphs(p.data), (err: Error) => live && setError(err.message));
    }, search ? 200 : 0);
    return () => { live = false; clearTimeout(t); };
  }, [search]);
  const open = async (id: string): Promise<void> => {
    useUi.getState().closeDialog();
    await openGraph(id);
  };
  return (
    <Modal title="Open a graph" wide>
      <input className="dialog-search" type="search" autoFocus placeholder="Search by name or description…" value={search}
        onChange={(e) => setSearch(e.target.value)} aria-label="search graphs" />
      {error && <p className="error">{error}</p>}
      <ul className="graph-list">
        {graphs?.map((g) => (
          <li key={g.id} className="graph-item" data-graph={g.id}>
            <button type="button" className="graph-open" onClick={() => void open(g.id)}>
              <span className="graph-title">{g.name}</span>
              <span className="graph-meta">v{g.latest_version} · {when(g.updated_at)}</span>
              {g.description && <span className="graph-desc">{g.description}</span>}
            </button>
          </li>
        ))}
        {graphs && !graphs.length && <li className="muted">No saved graph matches.</li>}
        {!graphs && !error && <li className="muted">Loading…</li>}
      </ul>
    </Modal>
  );
}

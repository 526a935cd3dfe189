/** Open a saved graph, with search: the seeded examples apart from the user's own graphs,
 * each with rename, duplicate and delete (Undo in the toast). */

import { useEffect, useRef, useState } from "react";
import type { GraphPublic } from "../api/types";
import { openGraph } from "../graph/files";
import { type Library, deleteGraph, duplicateGraph, listLibrary, renameGraph } from "../graph/library";
import { useLibrary } from "../stores/libraryStore";
import { useUi } from "../stores/uiStore";
import { Modal } from "./Modal";
import { when } from "../format";

function RenameField({ graph, onDone }: { graph: GraphPublic; onDone: () => void }) {
  const [name, setName] = useState(graph.name);
  const [busy, setBusy] = useState(false);
  const done = useRef(false); // Enter, then the blur as the field goes: one rename
  const commit = async (): Promise<void> => {
    if (done.current) return;
    done.current = true;
    setBusy(true);
    await renameGraph(graph, name);
    onDone();
  };
  return (
    <input className="graph-rename" autoFocus value={name} disabled={busy} aria-label={`new name for ${graph.name}`}
      onFocus={(e) => e.target.select()} onChange={(e) => setName(e.target.value)} onBlur={() => void commit()}
      onKeyDown={(e) => {
        if (e.key === "Enter") void commit();
        if (e.key === "Escape") {
          e.stopPropagation(); // closes the field, not the dialog
          done.current = true;
          onDone();
        }
      }} />
  );
}

function GraphItem({ graph, onOpen }: { graph: GraphPublic; onOpen: (id: string) => void }) {
  const [renaming, setRenaming] = useState(false);
  return (
    <li className="graph-item" data-graph={graph.id}>
      {renaming ? (
        <div className="graph-open editing">
          <RenameField graph={graph} onDone={() => setRenaming(false)} />
          <span className="graph-meta">Enter to rename · Escape to keep the name</span>
        </div>
      ) : (
        <button type="button" className="graph-open" onClick={() => onOpen(graph.id)}>
          <span className="graph-title">{graph.name}</span>
          <span className="graph-meta">v{graph.latest_version} · {when(graph.updated_at)}</span>
          {graph.description && <span className="graph-desc">{graph.description}</span>}
        </button>
      )}
      <div className="graph-actions">
        <button type="button" className="btn small" onClick={() => setRenaming(true)} disabled={renaming}
          title={`Rename "${graph.name}" (saved as a new version)`}>Rename</button>
        <button type="button" className="btn small" onClick={() => void duplicateGraph(graph)}
          title={`Save a copy of "${graph.name}" in My graphs`}>Duplicate</button>
        <button type="button" className="btn small" onClick={() => void deleteGraph(graph)}
          title={`Move "${graph.name}" to the bin (Undo in the message that follows)`}>Delete</button>
      </div>
    </li>
  );
}

function Section({ title, graphs, empty, onOpen }: { title: string; graphs: GraphPublic[]; empty: string; onOpen: (id: string) => void }) {
  return (
    <section className="graph-section" aria-label={title}>
      <h3 className="section-title">{title}</h3>
      <ul className="graph-list">
        {graphs.map((g) => <GraphItem key={g.id} graph={g} onOpen={onOpen} />)}
        {!graphs.length && <li className="muted">{empty}</li>}
      </ul>
    </section>
  );
}

export function OpenDialog() {
  const [search, setSearch] = useState("");
  const [library, setLibrary] = useState<Library | null>(null);
  const [error, setError] = useState<string | null>(null);
  const changes = useLibrary((s) => s.changes);
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      listLibrary(search).then((l) => { if (live) { setLibrary(l); setError(null); } }, (err: Error) => live && setError(err.message));
    }, search ? 200 : 0);
    return () => { live = false; clearTimeout(t); };
  }, [search, changes]);
  const open = async (id: string): Promise<void> => {
    useUi.getState().closeDialog();
    await openGraph(id);
  };
  const onOpen = (id: string): void => void open(id);
  return (
    <Modal title="Open a graph" wide>
      <input className="dialog-search" type="search" autoFocus placeholder="Search by name or description…" value={search}
        onChange={(e) => setSearch(e.target.value)} aria-label="search graphs" />
      {error && <p className="error">{error}</p>}
      {library ? (
        <div className="graph-sections">
          <Section title="My graphs" graphs={library.mine} onOpen={onOpen}
            empty={search ? "None of your graphs matches." : "No graph of yours yet: Save (Ctrl+S) keeps the canvas here, or duplicate an example."} />
          <Section title="Examples" graphs={library.examples} onOpen={onOpen}
            empty={search ? "No example matches." : "No example left (they were deleted)."} />
        </div>
      ) : !error && <p className="muted">Loading…</p>}
    </Modal>
  );
}

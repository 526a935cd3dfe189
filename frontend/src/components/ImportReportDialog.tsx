/** After an import: what this installation lacks (and how to get it), and which nodes were
 * upgraded from an older version. The graph is open either way. */

import type { ImportResult } from "../api/types";
import { useUi } from "../stores/uiStore";
import { Modal } from "./Modal";

const KIND: Record<string, string> = { node_type: "node type", model: "model" };

function NodeLinks({ ids }: { ids: string[] }) {
  return (
    <span className="node-links">
      {ids.map((id) => (
        <button key={id} type="button" className="link-button" onClick={() => useUi.getState().focusNode(id)}>{id}</button>
      ))}
    </span>
  );
}

export function ImportReportDialog({ result }: { result: ImportResult }) {
  const { graph, missing, migrated } = result;
  return (
    <Modal title={`Imported "${graph.name}"`} wide>
      {missing.length > 0 && (
        <section className="report-section">
          <h3>Missing on this installation</h3>
          <p className="muted">These nodes are kept (shown in red) so the rest of the graph opens; install what is missing to run it.</p>
          <ul className="report-list" aria-label="missing">
            {missing.map((m) => (
              <li key={`${m.kind}:${m.name}`} className="report-item missing" data-kind={m.kind} data-name={m.name}>
                <div><span className="report-kind">{KIND[m.kind] ?? m.kind}</span> <code>{m.name}</code> <NodeLinks ids={m.nodes} /></div>
                {m.hint && <div className="report-hint">{m.hint}</div>}
              </li>
            ))}
          </ul>
        </section>
      )}
      {migrated.length > 0 && (
        <section className="report-section">
          <h3>Upgraded from an older version</h3>
          <ul className="report-list" aria-label="migrated">
            {migrated.map((m) => (
              <li key={m.node_id} className="report-item migrated" data-node={m.node_id}>
                <NodeLinks ids={[m.node_id]} /> <code>{m.type}</code> v{m.from_version} → v{m.to_version}
              </li>
            ))}
          </ul>
        </section>
      )}
      <div className="dialog-actions">
        <button type="button" className="btn primary" autoFocus onClick={() => useUi.getState().closeDialog()}>OK</button>
      </div>
    </Modal>
  );
}

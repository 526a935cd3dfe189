/** The full result of one node (or, with none chosen, of every output node). */

import { OutputPreview } from "../nodes/OutputPreview";
import { statusLabel } from "../nodes/RunBadge";
import { useCatalog } from "../stores/catalogStore";
import { useGraph } from "../stores/graphStore";
import { useRun } from "../stores/runStore";
import { useUi } from "../stores/uiStore";

function NodeResult({ id }: { id: string }) {
  const run = useRun((s) => s.nodes[id]);
  const type = useGraph((s) => s.nodes.find((n) => n.id === id)?.data.type);
  const entry = useCatalog((s) => (type ? s.byType[type] : undefined));
  const labels = Object.fromEntries((entry?.outputs ?? []).map((o) => [o.name, o.label]));
  return (
    <section className="result" data-node={id}>
      <h4>
        <button type="button" className="link-button" onClick={() => useUi.getState().focusNode(id)}>{entry?.title ?? type} · {id}</button>
        {run && <span className={`run-badge run-${run.status}`}>{statusLabel(run.status)}</span>}
      </h4>
      {run?.error && <div className="node-error">{run.error}</div>}
      {run?.outputs ? <OutputPreview outputs={run.outputs} full labels={labels} /> : !run?.error && <p className="muted">No result yet.</p>}
    </section>
  );
}

export function ResultPanel() {
  const chosen = useUi((s) => s.resultNode);
  const runNodes = useRun((s) => s.nodes);
  const outputIds = useGraph((s) => s.nodes.filter((n) => useCatalog.getState().byType[n.data.type]?.role === "output").map((n) => n.id).join(","));
  const ids = chosen && runNodes[chosen] ? [chosen] : outputIds.split(",").filter((id) => id && runNodes[id]);
  if (!ids.length) return <p className="panel-empty">Run the graph to see results here. “full result ⤢” on a node shows that node.</p>;
  return (
    <div className="results">
      {chosen && <button type="button" className="link-button" onClick={() => useUi.setState({ resultNode: null })}>← all outputs</button>}
      {ids.map((id) => <NodeResult key={id} id={id} />)}
    </div>
  );
}

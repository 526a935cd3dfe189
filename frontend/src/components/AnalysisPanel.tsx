/** What the open graph will take and give before it runs (`POST /api/analyze`): each model's
 * memory, their total against the model budget, the warnings pinned to model nodes, and for
 * each output whether it repeats from run to run (naming the node that makes it vary) and
 * which inputs and models it depends on. A click on a node's name selects and centres it. */

import { useEffect } from "react";
import type { AnalysisReport } from "../api/types";
import { budgetShare, canvasNode, humanBytes, useAnalysis } from "../stores/analysisStore";
import { useGraph } from "../stores/graphStore";
import { useUi } from "../stores/uiStore";

export function AnalysisPanel() {
  const revision = useGraph((s) => s.revision);
  useEffect(() => {
    useAnalysis.getState().schedule(() => useGraph.getState().document(), revision);
  }, [revision]);
  const status = useAnalysis((s) => s.status);
  const error = useAnalysis((s) => s.error);
  const report = useAnalysis((s) => s.report);
  if (status === "error") return <p className="panel-empty error">The analysis did not answer: {error}</p>;
  if (!report) return <p className="panel-empty">Analysing…</p>;
  return <AnalysisView report={report} pending={status === "pending"} onFocus={(id) => useUi.getState().focusNode(canvasNode(id))} />;
}

function NodeLink({ id, onFocus }: { id: string; onFocus?: (id: string) => void }) {
  return <button type="button" className="link-button node-link" data-node={id} onClick={() => onFocus?.(id)}>{id}</button>;
}

export function AnalysisView({ report, pending = false, onFocus }: { report: AnalysisReport; pending?: boolean; onFocus?: (id: string) => void }) {
  if (!report.valid) {
    return <p className="panel-empty">The graph has {report.problems.length} problem(s) to fix first: see Problems.</p>;
  }
  const share = budgetShare(report);
  const device = report.device;
  return (
    <div className={`analysis${pending ? " pending" : ""}`} aria-label="analysis">
      {device && (
        <p className="analysis-device">
          Runs on <b>{device.name}</b>; models sit in {device.memory}: {humanBytes(device.total_bytes)}
          {device.available_bytes !== null ? `, ${humanBytes(device.available_bytes)} free` : ""}.
        </p>
      )}
      <h4>Models</h4>
      {report.models.length === 0 ? <p className="panel-empty">No model: nothing to load.</p> : (
        <table className="analysis-models">
          <thead><tr><th>node</th><th>model</th><th>memory</th></tr></thead>
          <tbody>
            {report.models.map((m) => (
              <tr key={m.node_id} data-node={m.node_id} title={m.source || m.note}>
                <td><NodeLink id={m.node_id} onFocus={onFocus} /></td>
                <td>{m.model} <span className="muted">{m.dtype}</span></td>
                <td>{m.shared_with ? <span className="muted">shared with {m.shared_with}</span> : humanBytes(m.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className={`analysis-budget${share !== null && share > 1 ? " over" : ""}`}>
        <span>{humanBytes(report.total_bytes)} of a {humanBytes(report.budget_bytes)} model budget</span>
        <meter min={0} max={1} high={0.8} value={Math.min(share ?? 0, 1)} aria-label="share of the model budget" />
      </div>
      {report.warnings.length > 0 && (
        <ul className="problems analysis-warnings" aria-label="warnings">
          {report.warnings.map((w, i) => (
            <li key={i} className="problem warning" data-code={w.code}>
              <span className="problem-code">{w.code}</span>
              {(w.nodes ?? (w.node_id ? [w.node_id] : [])).map((id) => <NodeLink key={id} id={id} onFocus={onFocus} />)}
              <div className="problem-message">{w.message}</div>
            </li>
          ))}
        </ul>
      )}
      <h4>Outputs</h4>
      {report.outputs.length === 0 ? <p className="panel-empty">No output node.</p> : (
        <ul className="analysis-outputs" aria-label="outputs">
          {report.outputs.map((o) => (
            <li key={o.node_id} className="analysis-output" data-node={o.node_id} data-deterministic={String(o.deterministic)}>
              <div>
                <NodeLink id={o.node_id} onFocus={onFocus} /> <span className="muted">{o.label}</span>
                <span className={`badge ${o.deterministic ? "same" : "varies"}`}>{o.deterministic ? "repeats" : "varies"}</span>
              </div>
              {o.nondeterministic.map((n) => (
                <div key={n.node_id} className="analysis-reason"><NodeLink id={n.node_id} onFocus={onFocus} /> {n.reason}</div>
              ))}
              <div className="analysis-lineage">inputs: {o.inputs.length ? o.inputs.join(", ") : "none"}</div>
              <div className="analysis-lineage">models: {o.models.length ? o.models.map((m) => `${m.node_id} (${m.model})`).join(", ") : "none"}</div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The Evaluate tab: a form that starts an evaluation from a cases file (`EvalStart`), pass
 * rate per check and per version as a chart, the failing cases of an evaluation with their
 * outputs, and two versions' results side by side. `genaisys eval GRAPH_ID --cases FILE` and
 * `POST /api/graphs/{id}/evals` start them too. */

import { memo, useEffect, useState } from "react";
import { api } from "../api/client";
import type { CaseResult, EvalDetail, EvalPublic } from "../api/types";
import { compareCases, failingCases, latestPerVersion, passRates, percent, showOutputs } from "../graph/evals";
import { useGraph } from "../stores/graphStore";
import { EvalStart } from "./EvalStart";

export function EvaluatePanel() {
  const graphId = useGraph((s) => s.graphId);
  const [evals, setEvals] = useState<EvalPublic[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<{ a: string | null; b: string | null }>({ a: null, b: null });
  const [details, setDetails] = useState<Record<string, EvalDetail>>({});
  const [refresh, setRefresh] = useState(0);
  useEffect(() => {
    if (!graphId) return;
    let live = true;
    api.listEvals(graphId).then((page) => {
      if (!live) return;
      setEvals(page.data);
      const latest = latestPerVersion(page.data);
      setPicked({ a: latest.at(-1)?.id ?? null, b: latest.at(-2)?.id ?? null });
    }, (err: Error) => live && setError(err.message));
    return () => { live = false; };
  }, [graphId, refresh]);
  useEffect(() => { // an evaluation's cases never change once it finished: each is fetched once and kept
    for (const id of [picked.a, picked.b]) {
      if (id && !details[id]) {
        api.readEval(id).then((d) => setDetails((all) => (all[id] ? all : { ...all, [id]: d })), (err: Error) => setError(err.message));
      }
    }
  }, [picked]);
  if (!graphId) return <p className="panel-empty">Save the graph to evaluate it: <code>genaisys eval GRAPH_ID --cases FILE</code>.</p>;
  if (error) return <p className="panel-empty error">{error}</p>;
  if (!evals) return <p className="panel-empty">Loading…</p>;
  return (
    <div className="evaluate">
      <EvalStart graphId={graphId} onFinished={() => setRefresh((n) => n + 1)} />
      <button type="button" className="link" onClick={() => setRefresh((n) => n + 1)}>Refresh</button>
      <EvalReport evals={evals} a={picked.a ? details[picked.a] ?? null : null} b={picked.b ? details[picked.b] ?? null : null}
        onPick={(side, id) => setPicked((p) => ({ ...p, [side]: id }))} />
    </div>
  );
}

export interface EvalReportProps {
  evals: EvalPublic[];
  /** the evaluation whose failing cases are listed, and the left of the comparison */
  a: EvalDetail | null;
  b: EvalDetail | null;
  onPick: (side: "a" | "b", evalId: string) => void;
}

/** Everything the tab shows, from what was fetched. */
export const EvalReport = memo(function EvalReport({ evals, a, b, onPick }: EvalReportProps) {
  const latest = latestPerVersion(evals);
  if (!latest.length) {
    return <p className="panel-empty">No finished evaluation of this graph yet: choose a cases file above and run one.</p>;
  }
  const choose = (side: "a" | "b", current: EvalDetail | null) => (
    <select aria-label={`version ${side.toUpperCase()}`} value={current?.id ?? ""} onChange={(e) => onPick(side, e.target.value)}>
      {!current && <option value="">choose…</option>}
      {latest.map((e) => <option key={e.id} value={e.id}>v{e.version} · {e.passed_count}/{e.cases_count}</option>)}
    </select>
  );
  return (
    <>
      <h4>Pass rate per check and version</h4>
      <RateChart evals={evals} />
      <h4>Compare {choose("a", a)} with {choose("b", b)}</h4>
      {a && <FailingCases detail={a} />}
      {a && b && <SideBySide a={a} b={b} />}
    </>
  );
});

const BAR_W = 22;
const BAR_H = 48;

function RateChart({ evals }: { evals: EvalPublic[] }) {
  const { versions, rows } = passRates(evals);
  const width = versions.length * (BAR_W + 6);
  return (
    <table className="eval-chart" aria-label="pass rate per check and version">
      <tbody>
        {rows.map((row) => (
          <tr key={row.check}>
            <th scope="row">{row.check}</th>
            <td>
              <svg width={width} height={BAR_H + 14} role="img" aria-label={`${row.check}: ${row.cells.map((c) => `v${c.version} ${percent(c.rate)}`).join(", ")}`}>
                {row.cells.map((c, i) => {
                  const h = Math.round((c.rate ?? 0) * BAR_H);
                  return (
                    <g key={c.evalId} transform={`translate(${i * (BAR_W + 6)},0)`}>
                      <title>{`v${c.version}: ${percent(c.rate)}`}</title>
                      <rect className="eval-bar-bg" x={0} y={0} width={BAR_W} height={BAR_H} />
                      <rect className={`eval-bar${c.rate === 1 ? " full" : ""}`} x={0} y={BAR_H - h} width={BAR_W} height={h} />
                      <text x={BAR_W / 2} y={BAR_H + 11} textAnchor="middle">v{c.version}</text>
                    </g>
                  );
                })}
              </svg>
            </td>
            <td className="eval-rate">{percent(row.cells.at(-1)?.rate ?? null)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FailingCases({ detail }: { detail: EvalDetail }) {
  const failing = failingCases(detail);
  return (
    <section aria-label="failing cases">
      <h4>Failing cases of v{detail.version}: {failing.length} of {detail.cases_count}</h4>
      {failing.length === 0 ? <p className="panel-empty">Every case passed.</p> : (
        <ul className="eval-cases">
          {failing.map((c) => (
            <li key={c.id} className="eval-case" data-case={c.id}>
              <strong>{c.id}</strong>
              {c.error && <div className="run-error">{c.error.node_id ? `${c.error.node_id}: ` : ""}{c.error.message}</div>}
              {c.checks.filter((v) => v.passed === false).map((v) => <div key={v.name} className="eval-verdict">{v.name}: {v.message}</div>)}
              <Outputs c={c} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Outputs({ c }: { c: CaseResult }) {
  return (
    <dl className="eval-outputs">
      {showOutputs(c.outputs).map(([name, text]) => <div key={name}><dt>{name}</dt><dd>{text}</dd></div>)}
    </dl>
  );
}

function SideBySide({ a, b }: { a: EvalDetail; b: EvalDetail }) {
  const pairs = compareCases(a, b);
  const cell = (c: CaseResult | null) => c === null ? <td className="eval-missing">not in this evaluation</td> : (
    <td><span className={`run-badge run-${c.status === "passed" ? "succeeded" : "failed"}`}>{c.status}</span><Outputs c={c} /></td>
  );
  return (
    <table className="eval-compare" aria-label="two versions side by side">
      <thead><tr><th>case</th><th>v{a.version} · {a.passed_count}/{a.cases_count}</th><th>v{b.version} · {b.passed_count}/{b.cases_count}</th></tr></thead>
      <tbody>
        {pairs.map((p) => (
          <tr key={p.id} className={p.changed ? "changed" : undefined} data-case={p.id}>
            <th scope="row">{p.id}</th>{cell(p.a)}{cell(p.b)}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

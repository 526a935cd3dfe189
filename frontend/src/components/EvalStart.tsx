/** Start an evaluation of the open graph's saved version: a cases file (a `.json` with its own
 * checks, or `.jsonl`/`.csv` rows whose columns fill the io inputs by node id) and the checks
 * added here; then a progress bar until it ends. */

import { useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import type { CheckCreate, CheckKind } from "../api/types";
import { useCatalog } from "../stores/catalogStore";
import { isDirty, useGraph } from "../stores/graphStore";
import { toast } from "../stores/toastStore";

const KINDS: { kind: CheckKind; label: string; hint: string }[] = [
  { kind: "contains_any", label: "contains any of", hint: "a|b|c" },
  { kind: "equals", label: "equals", hint: "the exact value" },
  { kind: "regex", label: "matches regex", hint: "a pattern" },
  { kind: "number_within", label: "number within", hint: "the number" },
  { kind: "json_field_equals", label: "JSON field equals", hint: "the value" },
  { kind: "wer_at_most", label: "word error rate at most", hint: "the reference text" },
  { kind: "retrieved_contains", label: "retrieved documents contain", hint: "a source or text" },
];

interface Row {
  output: string;
  kind: CheckKind;
  expected: string;
  column: string;
  /** the tolerance of number_within, the most WER of wer_at_most, the field of json_field_equals */
  extra: string;
}

/** A row of the form as the API's check (empty `expected` with a `column`: the case's column). */
export function toCheck(row: Row): CheckCreate {
  const check: CheckCreate = { output: row.output, kind: row.kind };
  if (row.column.trim()) check.column = row.column.trim();
  else if (row.kind === "number_within") check.expected = Number(row.expected);
  else check.expected = row.expected;
  if (row.kind === "number_within") check.tolerance = Number(row.extra || 0);
  if (row.kind === "wer_at_most") check.max = Number(row.extra || 0);
  if (row.kind === "json_field_equals") check.field = row.extra;
  return check;
}

const ACTIVE = new Set(["queued", "running"]);

export function EvalStart({ graphId, onFinished }: { graphId: string; onFinished: () => void }) {
  const version = useGraph((s) => s.version);
  const dirty = useGraph(isDirty);
  const nodes = useGraph((s) => s.nodes);
  const byType = useCatalog((s) => s.byType);
  const outputs = nodes.filter((n) => byType[n.data.type]?.role === "output").map((n) => n.id);
  const [file, setFile] = useState<File | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [progress, setProgress] = useState<{ id: string; done: number; total: number } | null>(null);
  const timer = useRef<number | null>(null);
  useEffect(() => () => { if (timer.current !== null) window.clearInterval(timer.current); }, []);

  const follow = (id: string): void => {
    timer.current = window.setInterval(() => {
      api.readEval(id).then((e) => {
        setProgress({ id, done: e.done_count, total: e.cases_count });
        if (ACTIVE.has(e.status)) return;
        if (timer.current !== null) window.clearInterval(timer.current);
        timer.current = null;
        setProgress(null);
        if (e.status === "succeeded") toast.success(`Evaluation of v${e.version}: ${e.passed_count} of ${e.cases_count} cases passed`);
        else toast.error(`Evaluation ${e.status}: ${String(e.error?.message ?? "")}`);
        onFinished();
      }, (err: Error) => toast.error(`Lost the evaluation: ${err.message}`));
    }, 500);
  };

  const start = async (): Promise<void> => {
    if (!file) return;
    try {
      const uploaded = await api.upload(file);
      const accepted = await api.startEval(graphId, { file: uploaded.path, checks: rows.map(toCheck), version: version ?? null });
      setProgress({ id: accepted.id, done: 0, total: 0 });
      follow(accepted.id);
    } catch (err) {
      toast.error(`Not evaluated: ${(err as Error).message}`);
    }
  };

  const setRow = (i: number, patch: Partial<Row>): void => setRows((all) => all.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <form className="eval-start" aria-label="start an evaluation" onSubmit={(e) => { e.preventDefault(); void start(); }}>
      <h4>Evaluate v{version ?? "?"}{dirty ? " (saved version; your edits are not in it)" : ""}</h4>
      <label className="field">
        Cases file (.json with checks, .jsonl or .csv)
        <input type="file" accept=".json,.jsonl,.csv" aria-label="cases file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </label>
      {rows.map((row, i) => (
        <div className="eval-check-row" key={i} data-check={i}>
          <select aria-label="output" value={row.output} onChange={(e) => setRow(i, { output: e.target.value })}>
            {outputs.map((o) => <option key={o} value={o}>{o}</option>)}
          </select>
          <select aria-label="check" value={row.kind} onChange={(e) => setRow(i, { kind: e.target.value as CheckKind })}>
            {KINDS.map((k) => <option key={k.kind} value={k.kind}>{k.label}</option>)}
          </select>
          <input aria-label="expected" placeholder={KINDS.find((k) => k.kind === row.kind)?.hint} value={row.expected}
            onChange={(e) => setRow(i, { expected: e.target.value })} />
          <input aria-label="or column" placeholder="or a column" value={row.column} onChange={(e) => setRow(i, { column: e.target.value })} />
          {(row.kind === "number_within" || row.kind === "wer_at_most" || row.kind === "json_field_equals") && (
            <input aria-label={row.kind === "json_field_equals" ? "field" : row.kind === "wer_at_most" ? "at most" : "tolerance"}
              value={row.extra} onChange={(e) => setRow(i, { extra: e.target.value })} />
          )}
          <button type="button" className="link-button" onClick={() => setRows((all) => all.filter((_, j) => j !== i))}>remove</button>
        </div>
      ))}
      <div className="eval-start-actions">
        <button type="button" className="link-button" disabled={!outputs.length}
          onClick={() => setRows((all) => [...all, { output: outputs[0] ?? "", kind: "contains_any", expected: "", column: "", extra: "" }])}>
          + add a check</button>
        <button type="submit" className="btn primary" disabled={!file || progress !== null || !version}>Run evaluation</button>
      </div>
      {progress && (
        <div className="eval-progress" role="progressbar" aria-label="evaluation progress"
          aria-valuenow={progress.total ? Math.round((progress.done / progress.total) * 100) : 0}>
          <div className="progress"><div className="progress-bar" style={{ width: `${progress.total ? (progress.done / progress.total) * 100 : 5}%` }} /></div>
          <span>case {progress.done} of {progress.total || "…"}</span>
        </div>
      )}
    </form>
  );
}

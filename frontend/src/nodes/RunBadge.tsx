/** A node's run state: a badge in its header, a progress bar, the text it streams, its
 * error, and a preview of its outputs. */

import { memo } from "react";
import type { NodeVerdict, ReplayVerdict } from "../api/types";
import type { NodeRun, NodeRunStatus } from "../stores/runStore";
import { useUi } from "../stores/uiStore";
import { OutputPreview, previewSrc } from "./OutputPreview";

/** What a person reads for each node state (the state values are the server's names). */
const LABELS: Record<NodeRunStatus, string> = {
  pending: "queued", running: "running", succeeded: "done", cached: "cached", failed: "failed", upstream_failed: "skipped",
  cancelled: "cancelled", interrupted: "interrupted",
};

/** A node state as the badge words it. */
export const statusLabel = (status: NodeRunStatus): string => LABELS[status];

export function RunBadge({ run }: { run: NodeRun | undefined }) {
  if (!run) return null;
  const pct = run.status === "running" && run.fraction !== null ? ` ${Math.round(run.fraction * 100)}%` : "";
  const time = run.status === "succeeded" && run.duration !== null ? ` ${run.duration < 10 ? run.duration.toFixed(2) : run.duration.toFixed(0)} s` : "";
  return <span className={`run-badge run-${run.status}`} data-status={run.status}>{LABELS[run.status]}{pct}{time}</span>;
}

const VERDICTS: Record<ReplayVerdict, string> = {
  identical: "= identical", differs: "≠ differs", not_comparable: "? not compared", failed: "✕ not replayed",
};

/** A replayed node's verdict: its outputs hash as in the run replayed, or what changed. */
export function ReplayBadge({ verdict }: { verdict: NodeVerdict | undefined }) {
  if (!verdict) return null;
  return <span className={`replay-badge replay-${verdict.verdict}`} data-verdict={verdict.verdict} title={verdict.message}>{VERDICTS[verdict.verdict]}</span>;
}

/** Why a replayed node is not identical, in the node's body. */
export function ReplayNote({ verdict }: { verdict: NodeVerdict | undefined }) {
  if (!verdict || verdict.verdict === "identical") return null;
  return <div className="node-replay">{verdict.message}</div>;
}

interface Props {
  nodeId: string;
  run: NodeRun | undefined;
  /** an io output node shows its value in full */
  full: boolean;
  labels: Record<string, string>;
}

function RunDetailsImpl({ nodeId, run, full, labels }: Props) {
  if (!run) return null;
  const img = run.status === "running" ? previewSrc(run.preview) : null;
  return (
    <>
      {run.status === "running" && (
        <div className="progress" role="progressbar" aria-valuenow={Math.round((run.fraction ?? 0) * 100)}>
          <div className={`progress-bar${run.fraction === null ? " indeterminate" : ""}`} style={{ width: `${Math.round((run.fraction ?? 0.3) * 100)}%` }} />
        </div>
      )}
      {run.status === "running" && run.message && <div className="node-stream nowheel">{run.message}</div>}
      {img && <img className="out-image live-preview" src={img} alt="preview" />}
      {run.error && (run.status === "failed" || run.status === "upstream_failed") && <div className="node-error">{run.error}</div>}
      {run.outputs && (
        <div className="node-outputs">
          <OutputPreview outputs={run.outputs} full={full} labels={labels} />
          <button type="button" className="link-button nodrag" onClick={() => useUi.getState().showResult(nodeId)}>full result ⤢</button>
        </div>
      )}
    </>
  );
}

export const RunDetails = memo(RunDetailsImpl);

/** The one node component: everything it shows comes from the catalog entry of its type,
 * the validator's resolved types and problems, and the run store. */

import { type NodeProps, useUpdateNodeInternals } from "@xyflow/react";
import { memo, useEffect, useMemo, useRef, useState } from "react";
import type { CatalogNode, Problem } from "../api/types";
import type { NodeData, StudioNode } from "../graph/document";
import { SUBGRAPH } from "../graph/grouping";
import { inputPorts, outputPorts } from "../graph/ports";
import { updateToLatest } from "../graph/subgraphs";
import { useCatalog } from "../stores/catalogStore";
import { useGraph } from "../stores/graphStore";
import { useRun } from "../stores/runStore";
import { useSubgraphs } from "../stores/subgraphStore";
import { useValidation } from "../stores/validationStore";
import { PortRows } from "./Ports";
import { ReplayBadge, ReplayNote, RunBadge, RunDetails } from "./RunBadge";
import { UnknownNode } from "./UnknownNode";

const NO_PROBLEMS: Problem[] = [];

function Title({ id, data, entry }: { id: string; data: NodeData; entry: CatalogNode }) {
  const [editing, setEditing] = useState(false);
  const readOnly = useGraph((s) => s.readOnly);
  const title = data.title || entry.title;
  if (editing) {
    return (
      <input className="nodrag title-input" autoFocus defaultValue={title} aria-label="node title"
        onBlur={(e) => { useGraph.getState().setTitle(id, e.target.value === entry.title ? "" : e.target.value); setEditing(false); }}
        onKeyDown={(e) => { if (e.key === "Enter" || e.key === "Escape") (e.target as HTMLInputElement).blur(); }} />
    );
  }
  return <span className="node-title" title={`${entry.description}\n\n${entry.type}${readOnly ? "" : " — double-click to rename"}`}
    onDoubleClick={() => !readOnly && setEditing(true)}>{title}</span>;
}

/** What a subgraph node runs, and the newer version it may be updated to. */
function SubgraphLine({ id, params }: { id: string; params: Record<string, unknown> }) {
  const graphId = String(params.graph ?? "");
  const version = Number(params.version ?? 1);
  const info = useSubgraphs((s) => s.saved[graphId]);
  const readOnly = useGraph((s) => s.readOnly);
  useEffect(() => { void useSubgraphs.getState().lookUp(graphId); }, [graphId]);
  if (!graphId) return <div className="subgraph-line muted">choose a graph to run</div>;
  return (
    <div className="subgraph-line" data-testid="subgraph-line">
      <span title="double-click the node to open this graph">runs {info ? `“${info.name}”` : "a saved graph"} v{version}</span>
      {info && info.latest > version && !readOnly && (
        <button type="button" className="btn small nodrag" onClick={() => updateToLatest(id, info.latest)}
          title={`Run version ${info.latest} of this graph instead of version ${version}`}>update to v{info.latest}</button>
      )}
    </div>
  );
}

function KnownNode({ id, data, selected, entry }: { id: string; data: NodeData; selected: boolean; entry: CatalogNode }) {
  const resolved = useValidation((s) => s.types[id]);
  const problems = useValidation((s) => s.byNode[id]) ?? NO_PROBLEMS;
  const run = useRun((s) => s.nodes[id]);
  const verdict = useRun((s) => s.replay?.nodes[id]);
  const wiredKey = useGraph((s) => s.wired[id] ?? "");
  const inputs = useMemo(() => inputPorts(entry, resolved), [entry, resolved]);
  const outputs = useMemo(() => outputPorts(entry, resolved), [entry, resolved]);
  const wired = useMemo(() => new Set(wiredKey.split(",")), [wiredKey]);
  const labels = useMemo(() => Object.fromEntries(outputs.map((o) => [o.name, o.label])), [outputs]);

  // handles appear and vanish with dynamic ports: React Flow must measure them again (it
  // measures a new node by itself; asking for all 500 nodes of a graph at once is slow)
  const updateInternals = useUpdateNodeInternals();
  const handleKey = inputs.map((p) => p.name).join(",") + "|" + outputs.map((p) => p.name).join(",");
  const firstKey = useRef(handleKey);
  useEffect(() => {
    if (handleKey === firstKey.current) return;
    firstKey.current = handleKey;
    updateInternals(id);
  }, [handleKey, id, updateInternals]);

  const classes = ["studio-node", `cat-${entry.category}`];
  if (selected) classes.push("selected");
  if (problems.length) classes.push("has-problem");
  if (run) classes.push(`run-${run.status}`);
  const nodeProblems = problems.filter((p) => !p.port && !p.param);
  return (
    <div className={classes.join(" ")} title={problems.length ? problems.map((p) => `⚠ ${p.message}`).join("\n") : undefined}>
      <div className="node-header">
        <Title id={id} data={data} entry={entry} />
        <span className="node-id">{id}</span>
        <RunBadge run={run} />
        <ReplayBadge verdict={verdict} />
        {problems.length > 0 && <span className="problem-badge" title={problems.map((p) => p.message).join("\n")}>⚠ {problems.length}</span>}
      </div>
      {entry.type === SUBGRAPH && <SubgraphLine id={id} params={data.params} />}
      {nodeProblems.map((p, i) => <div key={i} className="node-problem">{p.message}</div>)}
      <PortRows nodeId={id} inputs={inputs} outputs={outputs} params={data.params} wired={wired} problems={problems} />
      <ReplayNote verdict={verdict} />
      <RunDetails nodeId={id} run={run} full={entry.role === "output"} labels={labels} />
    </div>
  );
}

function GenericNode({ id, data, selected }: NodeProps<StudioNode>) {
  const entry = useCatalog((s) => s.byType[data.type]);
  if (!entry) return <UnknownNode id={id} data={data} selected={Boolean(selected)} />;
  return <KnownNode id={id} data={data} selected={Boolean(selected)} entry={entry} />;
}

export default memo(GenericNode);

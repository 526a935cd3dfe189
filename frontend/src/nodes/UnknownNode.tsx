/** A node whose type is not installed: shown in red with the ports its edges name, so the
 * graph still draws and the user can see what to replace or install. */

import { Handle, Position } from "@xyflow/react";
import { useMemo } from "react";
import type { NodeData } from "../graph/document";
import { useGraph } from "../stores/graphStore";
import { useValidation } from "../stores/validationStore";

export function UnknownNode({ id, data, selected }: { id: string; data: NodeData; selected: boolean }) {
  const problems = useValidation((s) => s.byNode[id]);
  const wiredKey = useGraph((s) => s.wired[id] ?? "");
  const outKey = useGraph((s) => [...new Set(s.edges.filter((e) => e.source === id).map((e) => e.sourceHandle ?? ""))].sort().join(","));
  const ins = useMemo(() => wiredKey.split(",").filter(Boolean), [wiredKey]);
  const outs = useMemo(() => outKey.split(",").filter(Boolean), [outKey]);
  return (
    <div className={`studio-node unknown has-problem${selected ? " selected" : ""}`}>
      <div className="node-header">
        <span className="node-title">{data.title || data.type}</span>
        <span className="node-id">{id}</span>
      </div>
      <div className="node-problem">{problems?.[0]?.message ?? `The node type '${data.type}' is not installed.`}</div>
      <div className="node-ports">
        {Array.from({ length: Math.max(ins.length, outs.length) }, (_, i) => (
          <div className="port-row" key={i}>
            <div className="port-cell port-in">
              {ins[i] && <Handle type="target" position={Position.Left} id={ins[i]} className="port-handle" />}
              <span className="port-label">{ins[i]}</span>
            </div>
            <div className="port-cell port-out">
              <span className="port-label">{outs[i]}</span>
              {outs[i] && <Handle type="source" position={Position.Right} id={outs[i]} className="port-handle" />}
            </div>
          </div>
        ))}
      </div>
    </div>
  );
}

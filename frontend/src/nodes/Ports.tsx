/** A node's rows: wire-only inputs beside the outputs (as ComfyUI lays them out), then one
 * row per parameter, with a handle when it can also be wired. Handle ids are port names. */

import { Handle, Position } from "@xyflow/react";
import type { CSSProperties } from "react";
import type { Problem } from "../api/types";
import { hasWidget, type InputPort, type OutputPort } from "../graph/ports";
import { typeColorVar } from "../stores/catalogStore";
import { useGraph } from "../stores/graphStore";
import { ParamWidget } from "./ParamWidget";

const handleStyle = (typeName: string): CSSProperties => ({ "--port-color": typeColorVar(typeName) }) as CSSProperties;

function tip(label: string, typeLabel: string, help: string, problems: Problem[]): string {
  return [`${label}: ${typeLabel}`, help, ...problems.map((p) => `⚠ ${p.message}`)].filter(Boolean).join("\n");
}

const problemsAt = (problems: Problem[], port: string): Problem[] => problems.filter((p) => p.port === port || p.param === port);

function InputHandle({ port, problems }: { port: InputPort; problems: Problem[] }) {
  return (
    <Handle type="target" position={Position.Left} id={port.name} className={`port-handle${problems.length ? " port-bad" : ""}`}
      style={handleStyle(port.typeName)} data-type={port.typeLabel} title={tip(port.label, port.typeLabel, port.help, problems)} />
  );
}

function OutputCell({ port }: { port: OutputPort }) {
  return (
    <div className="port-cell port-out" title={tip(port.label, port.typeLabel, port.help, [])}>
      <span className="port-label">{port.label}</span>
      <span className="port-type">{port.typeLabel}</span>
      <Handle type="source" position={Position.Right} id={port.name} className="port-handle"
        style={handleStyle(port.typeName)} data-type={port.typeLabel} />
    </div>
  );
}

function InputCell({ port, problems }: { port: InputPort; problems: Problem[] }) {
  const bad = problemsAt(problems, port.name);
  return (
    <div className={`port-cell port-in${bad.length ? " port-problem" : ""}`} title={tip(port.label, port.typeLabel, port.help, bad)}>
      <InputHandle port={port} problems={bad} />
      <span className="port-label">{port.label}{port.spec?.required ? <span className="req">*</span> : null}</span>
      <span className="port-type">{port.typeLabel}</span>
    </div>
  );
}

interface RowsProps {
  nodeId: string;
  inputs: InputPort[];
  outputs: OutputPort[];
  params: Record<string, unknown>;
  wired: ReadonlySet<string>;
  problems: Problem[];
}

export function PortRows({ nodeId, inputs, outputs, params, wired, problems }: RowsProps) {
  const readOnly = useGraph((s) => s.readOnly);
  const wireOnly = inputs.filter((p) => p.handle && !hasWidget(p));
  const withWidget = inputs.filter(hasWidget);
  const rows = Math.max(wireOnly.length, outputs.length);
  return (
    <div className="node-ports">
      {Array.from({ length: rows }, (_, i) => (
        <div className="port-row" key={i}>
          {wireOnly[i] ? <InputCell port={wireOnly[i]} problems={problems} /> : <div className="port-cell" />}
          {outputs[i] ? <OutputCell port={outputs[i]} /> : <div className="port-cell" />}
        </div>
      ))}
      {withWidget.map((p) => {
        const bad = problemsAt(problems, p.name);
        const isWired = wired.has(p.name);
        return (
          <div key={p.name} className={`param-row${bad.length ? " port-problem" : ""}${isWired ? " wired" : ""}`}
            title={tip(p.label, p.typeLabel, p.help, bad)} data-param={p.name}>
            {p.handle && <InputHandle port={p} problems={bad} />}
            <label className="param-label">
              {p.label}
              {isWired && <span className="wired-note" title="set by the edge wired into it">⇠</span>}
            </label>
            <ParamWidget nodeId={nodeId} spec={p.spec!} value={params[p.name]} disabled={isWired || readOnly} />
          </div>
        );
      })}
    </div>
  );
}

/** A node's ports as the canvas draws them: the catalog's, plus the dynamic ones the
 * validator resolved (a prompt template grows one input per `{slot}`), with resolved types. */

import type { CatalogInput, CatalogNode, NodeTypes } from "../api/types";

export interface InputPort {
  name: string;
  label: string;
  typeName: string;
  typeLabel: string;
  help: string;
  handle: boolean;
  /** the catalog input, absent for a dynamic port */
  spec: CatalogInput | null;
}

export interface OutputPort {
  name: string;
  label: string;
  typeName: string;
  typeLabel: string;
  help: string;
}

const nameOf = (label: string): string => label.match(/^[A-Za-z_][A-Za-z0-9_]*/)?.[0] ?? "Any";

/** Variables show as Any until bound (`T` -> `Any`), as `Var.to_json()` does. */
const displayName = (label: string): string => {
  const name = nameOf(label);
  return name.length <= 2 ? "Any" : name;
};

export function inputPorts(entry: CatalogNode, resolved: NodeTypes | undefined): InputPort[] {
  const ports: InputPort[] = entry.inputs.map((i) => {
    const label = resolved?.inputs[i.name] ?? i.type.label ?? i.type.name;
    return {
      name: i.name,
      label: i.label,
      typeName: displayName(label),
      typeLabel: label,
      help: i.help,
      handle: i.connectable,
      spec: i,
    };
  });
  if (entry.dynamic_ports && resolved) {
    const known = new Set(entry.inputs.map((i) => i.name));
    for (const [name, label] of Object.entries(resolved.inputs)) {
      if (known.has(name)) continue;
      ports.push({ name, label: name.replace(/_/g, " "), typeName: displayName(label), typeLabel: label, help: "", handle: true, spec: null });
    }
  }
  return ports;
}

export function outputPorts(entry: CatalogNode, resolved: NodeTypes | undefined): OutputPort[] {
  const ports: OutputPort[] = entry.outputs.map((o) => {
    const label = resolved?.outputs[o.name] ?? o.type.label ?? o.type.name;
    return { name: o.name, label: o.label, typeName: displayName(label), typeLabel: label, help: o.help };
  });
  if (entry.dynamic_ports && resolved) {
    const known = new Set(entry.outputs.map((o) => o.name));
    for (const [name, label] of Object.entries(resolved.outputs)) {
      if (!known.has(name)) ports.push({ name, label: name.replace(/_/g, " "), typeName: displayName(label), typeLabel: label, help: "" });
    }
  }
  return ports;
}

/** Does this input show a widget (a scalar param)? */
export const hasWidget = (p: InputPort): boolean => p.spec?.widget != null;

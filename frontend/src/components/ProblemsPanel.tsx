/** Every problem the validator found; a click selects and centres the node it is pinned to. */

import { useCatalog } from "../stores/catalogStore";
import { useGraph } from "../stores/graphStore";
import { useValidation } from "../stores/validationStore";
import { useUi } from "../stores/uiStore";

/** A port or param as its node shows it (its label); the name itself for ports the catalog
 * does not list (a template's `{slot}`s, whose label is their name). */
export function shownPort(nodeId: string, name: string): string {
  const type = useGraph.getState().nodes.find((n) => n.id === nodeId)?.data.type;
  const entry = type ? useCatalog.getState().byType[type] : undefined;
  const port = entry?.inputs.find((i) => i.name === name) ?? entry?.outputs.find((o) => o.name === name);
  return port?.label || name;
}

export function ProblemsPanel() {
  const problems = useValidation((s) => s.problems);
  const status = useValidation((s) => s.status);
  const error = useValidation((s) => s.error);
  if (status === "error") return <p className="panel-empty error">The validator did not answer: {error}</p>;
  if (!problems.length) return <p className="panel-empty">{status === "pending" ? "Checking…" : "No problems: the graph is valid."}</p>;
  return (
    <ul className="problems" aria-label="problems">
      {problems.map((p, i) => {
        const target = p.node_id ?? p.nodes?.[0];
        return (
          <li key={i} className={`problem${target ? " clickable" : ""}`} data-node={target ?? ""}
            onClick={() => target && useUi.getState().focusNode(target)}>
            <span className="problem-code">{p.code}</span>
            {target && <span className="problem-where">{target}{p.port || p.param ? `.${shownPort(target, (p.port || p.param) as string)}` : ""}</span>}
            <div className="problem-message">{p.message}</div>
          </li>
        );
      })}
    </ul>
  );
}

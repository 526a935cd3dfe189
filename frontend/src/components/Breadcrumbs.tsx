/** Where the open graph sits when it was opened from a subgraph node: the graphs above it,
 * each a link back (as it was left, unsaved edits included). */

import { leaveTo } from "../graph/subgraphs";
import { useGraph } from "../stores/graphStore";
import { useSubgraphs } from "../stores/subgraphStore";

export function Breadcrumbs() {
  const stack = useSubgraphs((s) => s.stack);
  const name = useGraph((s) => s.name);
  if (!stack.length) return null;
  return (
    <nav className="breadcrumbs" aria-label="subgraph breadcrumbs" data-testid="breadcrumbs">
      {stack.map((level, i) => (
        <span key={i}>
          <button type="button" className="crumb" onClick={() => void leaveTo(i)}
            title={`Back to ${level.name}${level.dirty ? " (with its unsaved changes)" : ""}`}>{level.name}</button>
          <span className="crumb-sep">›</span>
        </span>
      ))}
      <span className="crumb current">{name}</span>
    </nav>
  );
}

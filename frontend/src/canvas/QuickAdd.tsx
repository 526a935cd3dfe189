/** Double-click on the canvas: a search box; Enter (or a click) adds the node right there. */

import { useMemo, useState } from "react";
import { searchCatalog, useCatalog } from "../stores/catalogStore";

interface Props {
  at: { x: number; y: number };
  onPick: (type: string) => void;
  onClose: () => void;
}

export function QuickAdd({ at, onPick, onClose }: Props) {
  const nodes = useCatalog((s) => s.nodes);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const hits = useMemo(() => searchCatalog(nodes, query).slice(0, 12), [nodes, query]);
  const onKey = (e: React.KeyboardEvent): void => {
    if (e.key === "Escape") onClose();
    else if (e.key === "ArrowDown") { e.preventDefault(); setActive((a) => Math.min(a + 1, hits.length - 1)); }
    else if (e.key === "ArrowUp") { e.preventDefault(); setActive((a) => Math.max(a - 1, 0)); }
    else if (e.key === "Enter" && hits[active]) onPick(hits[active].type);
  };
  return (
    <div className="quick-add" style={{ left: at.x, top: at.y }} role="dialog" aria-label="Add a node">
      <input autoFocus placeholder="Add a node…" value={query} aria-label="search nodes"
        onChange={(e) => { setQuery(e.target.value); setActive(0); }} onKeyDown={onKey} onBlur={() => setTimeout(onClose, 150)} />
      <ul>
        {hits.map((n, i) => (
          <li key={n.type} className={i === active ? "active" : undefined} onMouseDown={(e) => { e.preventDefault(); onPick(n.type); }}
            onMouseEnter={() => setActive(i)}>
            <span className="qa-title">{n.title}</span>
            <span className="qa-cat">{n.category}</span>
          </li>
        ))}
        {!hits.length && <li className="empty">No node matches “{query}”</li>}
      </ul>
    </div>
  );
}

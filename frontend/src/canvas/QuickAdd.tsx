/** Double-click on the canvas: a search box; Enter (or a click) adds the node right there.
 * A wire dropped on the empty canvas opens it too, listing only the node types that can take
 * that wire (`candidates`), each with the port the wire will go into. */

import { useMemo, useState } from "react";
import { searchCatalog, useCatalog } from "../stores/catalogStore";
import type { WireCandidate } from "../types/compat";

/** The list scrolls; this many is more than the catalog's nodes that can take a Text wire. */
const MAX_HITS = 40;

interface Props {
  at: { x: number; y: number };
  /** a dropped wire's compatible node types; absent: the whole catalog */
  candidates?: WireCandidate[] | undefined;
  /** which end of the wire was dragged: an output (the new node's input takes it) or an input */
  side?: "source" | "target" | undefined;
  onPick: (type: string, port?: string) => void;
  onClose: () => void;
}

export function QuickAdd({ at, candidates, side, onPick, onClose }: Props) {
  const catalog = useCatalog((s) => s.nodes);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const ports = useMemo(() => new Map(candidates?.map((c) => [c.entry.type, c]) ?? []), [candidates]);
  const nodes = useMemo(() => (candidates ? candidates.map((c) => c.entry) : catalog), [candidates, catalog]);
  const hits = useMemo(() => searchCatalog(nodes, query).slice(0, MAX_HITS), [nodes, query]);
  const pick = (type: string): void => onPick(type, ports.get(type)?.port);
  const portNote = (type: string): string | null => {
    const c = ports.get(type);
    return c ? (side === "target" ? `${c.portLabel} →` : `→ ${c.portLabel}`) : null;
  };
  const onKey = (e: React.KeyboardEvent): void => {
    if (e.key === "Escape") onClose();
    else if (e.key === "ArrowDown") { e.preventDefault(); setActive((a) => Math.min(a + 1, hits.length - 1)); }
    else if (e.key === "ArrowUp") { e.preventDefault(); setActive((a) => Math.max(a - 1, 0)); }
    else if (e.key === "Enter" && hits[active]) pick(hits[active].type);
  };
  const empty = candidates && !candidates.length
    ? "No installed node can take this wire"
    : `No ${candidates ? "connectable " : ""}node matches “${query}”`;
  return (
    <div className={`quick-add${candidates ? " wiring" : ""}`} style={{ left: at.x, top: at.y }} role="dialog" aria-label="Add a node">
      <input autoFocus placeholder={candidates ? "Add a connected node…" : "Add a node…"} value={query} aria-label="search nodes"
        onChange={(e) => { setQuery(e.target.value); setActive(0); }} onKeyDown={onKey} onBlur={() => setTimeout(onClose, 150)} />
      <ul>
        {hits.map((n, i) => (
          <li key={n.type} className={i === active ? "active" : undefined} data-type={n.type}
            onMouseDown={(e) => { e.preventDefault(); pick(n.type); }} onMouseEnter={() => setActive(i)}>
            <span className="qa-title">{n.title}</span>
            <span className="qa-cat">{portNote(n.type) ?? n.category}</span>
          </li>
        ))}
        {!hits.length && <li className="empty">{empty}</li>}
      </ul>
    </div>
  );
}

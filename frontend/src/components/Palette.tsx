/** The node palette: the catalog by category, searchable; drag a node onto the canvas
 * (or click it to drop it in the middle of the view). The minimap sits at its foot. */

import { useReactFlow } from "@xyflow/react";
import { type DragEvent, useMemo, useState } from "react";
import type { CatalogNode } from "../api/types";
import { DRAG_TYPE } from "../canvas/drop";
import { Overview } from "../canvas/Overview";
import { searchCatalog, useCatalog } from "../stores/catalogStore";
import { useGraph } from "../stores/graphStore";

const CATEGORY_NAMES: Record<string, string> = {
  io: "Inputs & outputs", encoders: "Encoders", models: "Models", stores: "Stores", utility: "Utility",
};

function Item({ node }: { node: CatalogNode }) {
  const flow = useReactFlow();
  const onDragStart = (e: DragEvent): void => {
    e.dataTransfer.setData(DRAG_TYPE, node.type);
    e.dataTransfer.effectAllowed = "move";
  };
  const addInView = (): void => {
    const box = document.querySelector(".canvas")?.getBoundingClientRect();
    const at = box ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 }) : { x: 0, y: 0 };
    useGraph.getState().addNode(node.type, at);
  };
  return (
    <li className="palette-item" draggable onDragStart={onDragStart} onClick={addInView} data-type={node.type}
      title={`${node.description}\n\n${node.type}${node.uses_gpu ? " · uses the GPU" : ""}`}>
      <span className={`palette-dot cat-${node.category}`} />
      <span className="palette-title">{node.title}</span>
    </li>
  );
}

export function Palette() {
  const nodes = useCatalog((s) => s.nodes);
  const categories = useCatalog((s) => s.categories);
  const [query, setQuery] = useState("");
  const hits = useMemo(() => searchCatalog(nodes, query), [nodes, query]);
  return (
    <aside className="palette" aria-label="Node palette">
      <input className="palette-search" type="search" placeholder="Search nodes…" value={query} onChange={(e) => setQuery(e.target.value)}
        aria-label="search the palette" />
      <div className="palette-list">
        {categories.map((cat) => {
          const items = hits.filter((n) => n.category === cat);
          if (!items.length) return null;
          return (
            <section key={cat} className="palette-group" data-category={cat}>
              <h3>{CATEGORY_NAMES[cat] ?? cat}</h3>
              <ul>{items.map((n) => <Item key={n.type} node={n} />)}</ul>
            </section>
          );
        })}
        {!hits.length && <p className="muted">No node matches “{query}”.</p>}
      </div>
      <p className="palette-hint">Drag onto the canvas · double-click the canvas to search · ? for shortcuts</p>
      <Overview />
    </aside>
  );
}

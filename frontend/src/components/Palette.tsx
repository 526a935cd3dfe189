/** The node palette: the catalog by category, searchable; drag a node onto the canvas
 * (or click it to drop it in the middle of the view). The minimap sits at its foot. */

import { useReactFlow } from "@xyflow/react";
import { type DragEvent, useEffect, useMemo, useState } from "react";
import { api } from "../api/client";
import type { CatalogNode, GraphPublic } from "../api/types";
import { DRAG_TYPE, PARAMS_TYPE } from "../canvas/drop";
import { Overview } from "../canvas/Overview";
import { searchCatalog, useCatalog } from "../stores/catalogStore";
import { SUBGRAPH } from "../graph/grouping";
import { useGraph } from "../stores/graphStore";
import { useLibrary } from "../stores/libraryStore";

const CATEGORY_NAMES: Record<string, string> = {
  io: "Inputs & outputs", encoders: "Encoders", models: "Models", stores: "Stores", utility: "Utility", graph: "Subgraphs",
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

/** The user's saved graphs, each added as a subgraph node that runs its newest version. */
function YourGraphs({ query }: { query: string }) {
  const flow = useReactFlow();
  const openId = useGraph((s) => s.graphId);
  const saves = useGraph((s) => s.savedRevision);
  const changes = useLibrary((s) => s.changes);
  const [graphs, setGraphs] = useState<GraphPublic[]>([]);
  useEffect(() => {
    let live = true;
    api.listGraphs().then((page) => live && setGraphs(page.data), () => live && setGraphs([]));
    return () => { live = false; };
  }, [openId, saves, changes]);
  const q = query.trim().toLowerCase();
  const shown = graphs.filter((g) => g.id !== openId && !g.deleted && (!q || g.name.toLowerCase().includes(q)));
  if (!shown.length) return null;
  const params = (g: GraphPublic) => ({ graph: g.id, version: g.latest_version });
  const add = (g: GraphPublic): void => {
    const box = document.querySelector(".canvas")?.getBoundingClientRect();
    const at = box ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 }) : { x: 0, y: 0 };
    useGraph.getState().addNode(SUBGRAPH, at, undefined, params(g));
  };
  return (
    <section className="palette-group" data-category="your-graphs">
      <h3>Your graphs</h3>
      <ul>
        {shown.map((g) => (
          <li key={g.id} className="palette-item" draggable data-graph={g.id} onClick={() => add(g)}
            title={`Add “${g.name}” (v${g.latest_version}) as a subgraph node`}
            onDragStart={(e) => {
              e.dataTransfer.setData(DRAG_TYPE, SUBGRAPH);
              e.dataTransfer.setData(PARAMS_TYPE, JSON.stringify(params(g)));
              e.dataTransfer.effectAllowed = "move";
            }}>
            <span className="palette-dot cat-graph" />
            <span className="palette-title">{g.name}</span>
          </li>
        ))}
      </ul>
    </section>
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
        <YourGraphs query={query} />
        {!hits.length && <p className="muted">No node matches “{query}”.</p>}
      </div>
      <p className="palette-hint">Drag onto the canvas · double-click the canvas to search · ? for shortcuts</p>
      <Overview />
    </aside>
  );
}

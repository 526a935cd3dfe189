/** Subgraphs on the canvas: group the selection into a saved graph used as one node, open a
 * subgraph node's graph with breadcrumbs back to where it is used, and update a node to the
 * newest version of the graph it runs. */

import { api } from "../api/client";
import { isDirty, useGraph } from "../stores/graphStore";
import { type Level, useSubgraphs } from "../stores/subgraphStore";
import { useRun } from "../stores/runStore";
import { toast } from "../stores/toastStore";
import { useUi } from "../stores/uiStore";
import { useValidation } from "../stores/validationStore";
import { confirmDiscard, setLocationGraph, show } from "./files";
import { SUBGRAPH, planGroup } from "./grouping";

/** Save the selected nodes as a new graph and put one subgraph node in their place, wired as
 * they were (one undo step; the new graph stays saved). */
export async function groupSelection(): Promise<string | null> {
  const g = useGraph.getState();
  if (g.readOnly) return null;
  const selected = new Set(g.nodes.filter((n) => n.selected).map((n) => n.id));
  if (!selected.size) {
    toast.info("Select the nodes to group first (Ctrl+click, or Shift+drag a box).");
    return null;
  }
  const name = `${g.name} · group`;
  const plan = planGroup(g.document(), selected, useValidation.getState().types, name);
  if (!plan) return null;
  try {
    const saved = await api.createGraph(plan.inner, `grouped from ${g.name}`);
    useSubgraphs.getState().learn(saved.id, { name: saved.name, latest: saved.version });
    const node = { ...plan.node, params: { graph: saved.id, version: saved.version } };
    const id = useGraph.getState().replaceWithNode([...selected], node, plan.edges);
    toast.info(`Saved ${selected.size} node(s) as the graph “${saved.name}”; double-click the new node to open it.`);
    return id;
  } catch (err) {
    toast.error(`Could not group the nodes: ${(err as Error).message}`);
    return null;
  }
}

/** Open the graph a subgraph node runs (its newest version), keeping the way back. */
export async function openSubgraph(nodeId: string): Promise<boolean> {
  const g = useGraph.getState();
  const node = g.nodes.find((n) => n.id === nodeId);
  const graphId = node?.data.type === SUBGRAPH ? String(node.data.params.graph ?? "") : "";
  if (!graphId) return false;
  try {
    const detail = await api.readGraph(graphId);
    const level: Level = { graphId: g.graphId, version: g.version, name: g.name, document: g.document(), dirty: isDirty(g), nodeId };
    useSubgraphs.setState({ stack: [...useSubgraphs.getState().stack, level] });
    useSubgraphs.getState().learn(graphId, { name: detail.name, latest: detail.version });
    show(detail);
    return true;
  } catch (err) {
    toast.error(`Could not open the subgraph: ${(err as Error).message}`);
    return false;
  }
}

/** Go back up to the graph at `depth` of the breadcrumbs (0: the outermost), as it was left
 * (unsaved edits included); asks first if the open graph has unsaved changes. */
export async function leaveTo(depth: number): Promise<boolean> {
  const { stack } = useSubgraphs.getState();
  const level = stack[depth];
  if (!level) return false;
  if (!(await confirmDiscard("Go back"))) return false;
  useSubgraphs.setState({ stack: stack.slice(0, depth) });
  const g = useGraph.getState();
  g.load(level.document, level.graphId && level.version ? { graphId: level.graphId, version: level.version } : null);
  if (level.dirty) useGraph.setState({ savedRevision: -1 });
  useRun.getState().clear();
  useUi.getState().requestFit();
  setLocationGraph(level.graphId);
  // the graph just left may have a new version now: the nodes that run it offer it
  for (const n of useGraph.getState().nodes) {
    if (n.data.type === SUBGRAPH) void useSubgraphs.getState().lookUp(String(n.data.params.graph ?? ""), true);
  }
  return true;
}

/** Point a subgraph node at the newest version of its graph. */
export function updateToLatest(nodeId: string, latest: number): void {
  useGraph.getState().setParam(nodeId, "version", latest);
}

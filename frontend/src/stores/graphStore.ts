/** The open graph: React Flow's nodes and edges, the document's name, which saved graph and
 * version it is, and an undo history of document snapshots. No API calls here: the file
 * actions (graph/files.ts) and the validator wiring call into this store.
 *
 * A read-only graph (a share link's) refuses every change here too, whatever the UI lets
 * through: only selection and React Flow's own measurements still apply. */

import { type Connection, type EdgeChange, type NodeChange, applyEdgeChanges, applyNodeChanges } from "@xyflow/react";
import { create } from "zustand";
import type { DocEdge, DocNode, GraphDocument } from "../api/types";
import {
  type StudioEdge,
  type StudioNode,
  emptyDocument,
  fromDocument,
  newEdgeId,
  newNodeId,
  outputTypeName,
  toDocument,
  toFlowEdge,
  toFlowNode,
  wiredInputs,
} from "../graph/document";
import { useCatalog } from "./catalogStore";

export interface Snapshot {
  nodes: StudioNode[];
  edges: StudioEdge[];
  name: string;
  description: string;
}

export interface NewWire {
  nodeId: string;
  handle: string;
  side: "source" | "target";
  port: string;
}

export interface Fragment {
  nodes: DocNode[];
  edges: DocEdge[];
}

export interface GraphState {
  nodes: StudioNode[];
  edges: StudioEdge[];
  /** node id -> its wired input handles, "a,b" */
  wired: Record<string, string>;
  name: string;
  description: string;
  meta: Record<string, unknown> | undefined;
  graphId: string | null;
  version: number | null;
  /** bumps on every change of the document (moves included): dirty = revision !== savedRevision */
  revision: number;
  savedRevision: number;
  /** bumps on changes the validator cares about (not moves) */
  structureRevision: number;
  /** bumps when a whole document is loaded (open, new, reload) */
  loads: number;
  past: Snapshot[];
  future: Snapshot[];
  readOnly: boolean;

  setReadOnly: (readOnly: boolean) => void;
  load: (doc: GraphDocument, file?: { graphId: string; version: number } | null) => void;
  markSaved: (graphId: string, version: number, revision?: number) => void;
  document: () => GraphDocument;
  onNodesChange: (changes: NodeChange<StudioNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<StudioEdge>[]) => void;
  /** Add a node; with `wire`, also the edge between it and the handle a wire was dragged
   * from (`port`: the new node's end of it): one undo step for both. */
  addNode: (type: string, position: { x: number; y: number }, wire?: NewWire, params?: Record<string, unknown>) => string;
  connect: (c: Connection) => void;
  setParam: (id: string, name: string, value: unknown) => void;
  setTitle: (id: string, title: string) => void;
  setName: (name: string) => void;
  setPositions: (positions: Record<string, { x: number; y: number }>) => void;
  removeNodes: (ids: string[]) => void;
  /** Replace the nodes `ids` (and every edge touching them) by `node`, wired by `edges`, whose
   * end named `node.id` is the new node (it gets a fresh id, returned): one undo step. */
  replaceWithNode: (ids: string[], node: DocNode, edges: DocEdge[]) => string;
  /** Remove edges as part of the edit that broke them (no undo step of their own): undoing
   * that edit brings them back with it. */
  dropEdges: (ids: string[]) => void;
  selectOnly: (id: string | null) => void;
  copySelection: () => Fragment | null;
  paste: (fragment: Fragment, offset: { x: number; y: number }) => string[];
  checkpoint: (key?: string, windowMs?: number) => void;
  undo: () => void;
  /** Undo until the history is `depth` steps deep (the state the `depth`-th step saved). */
  undoTo: (depth: number) => void;
  redo: () => void;
}

const HISTORY_LIMIT = 100;
let lastCheckpoint = { key: "", at: 0 };
let dragging = false;

const edgeTypeName = (nodes: readonly StudioNode[], source: string, port: string): string =>
  outputTypeName(useCatalog.getState().byType, nodes.find((n) => n.id === source)?.data.type, port);

/** `edges` with the edge of `c` added; an input takes one value, so a new edge replaces the
 * one already there (as ComfyUI does). */
function withEdge(edges: StudioEdge[], nodes: readonly StudioNode[], c: { source: string; sourceHandle: string; target: string; targetHandle: string }): StudioEdge[] {
  const kept = edges.filter((e) => !(e.target === c.target && e.targetHandle === c.targetHandle));
  const id = newEdgeId(new Set(edges.map((e) => e.id)));
  const edge = toFlowEdge(
    { id, source: c.source, source_port: c.sourceHandle, target: c.target, target_port: c.targetHandle },
    edgeTypeName(nodes, c.source, c.sourceHandle),
  );
  return [...kept, edge];
}

export const isDirty = (s: Pick<GraphState, "revision" | "savedRevision">): boolean => s.revision !== s.savedRevision;

export const useGraph = create<GraphState>()((set, get) => {
  /** Commit a change to the document: a new revision, and the wiring index when edges moved. */
  const commit = (patch: Partial<GraphState>, structural = true): void => {
    const s = get();
    if (s.readOnly) return;
    const next: Partial<GraphState> = { ...patch, revision: s.revision + 1 };
    if (structural) next.structureRevision = s.structureRevision + 1;
    if (patch.edges) next.wired = wiredInputs(patch.edges);
    set(next);
  };
  const snapshot = (): Snapshot => {
    const { nodes, edges, name, description } = get();
    return { nodes, edges, name, description };
  };
  const restore = (snap: Snapshot, past: Snapshot[], future: Snapshot[]): void =>
    commit({ nodes: snap.nodes, edges: snap.edges, name: snap.name, description: snap.description, past, future });

  return {
    nodes: [],
    edges: [],
    wired: {},
    name: "Untitled graph",
    description: "",
    meta: undefined,
    graphId: null,
    version: null,
    revision: 0,
    savedRevision: 0,
    structureRevision: 0,
    loads: 0,
    past: [],
    future: [],
    readOnly: false,

    setReadOnly: (readOnly) => set({ readOnly }),
    load: (doc, file = null) => {
      const { nodes, edges } = fromDocument(doc, useCatalog.getState().byType);
      const s = get();
      const revision = s.revision + 1;
      lastCheckpoint = { key: "", at: 0 };
      set({
        nodes, edges, wired: wiredInputs(edges), name: doc.name || "Untitled graph", description: doc.description ?? "",
        meta: doc.meta, graphId: file?.graphId ?? null, version: file?.version ?? null,
        // a new empty graph is not "unsaved work"; a document that came from elsewhere is
        revision, savedRevision: file || !doc.nodes.length ? revision : -1,
        structureRevision: s.structureRevision + 1, loads: s.loads + 1, past: [], future: [],
      });
    },
    markSaved: (graphId, version, revision) => set({ graphId, version, savedRevision: revision ?? get().revision }),
    document: () => {
      const { nodes, edges, name, description, meta } = get();
      return toDocument(nodes, edges, { name, description, meta });
    },

    onNodesChange: (all) => {
      const changes = get().readOnly ? all.filter((c) => c.type === "select" || c.type === "dimensions") : all;
      let moved = false;
      let structural = false;
      for (const c of changes) {
        if (c.type === "position") {
          if (c.dragging && !dragging) {
            dragging = true;
            get().checkpoint("drag", 0);
          }
          if (!c.dragging) {
            dragging = false;
            moved = true;
          }
        } else if (c.type === "remove") {
          structural = true;
        }
      }
      if (structural) get().checkpoint("remove", 300);
      const nodes = applyNodeChanges(changes, get().nodes);
      if (structural || moved) commit({ nodes }, structural);
      else set({ nodes });
    },
    onEdgesChange: (all) => {
      const changes = get().readOnly ? all.filter((c) => c.type === "select") : all;
      const removing = changes.some((c) => c.type === "remove");
      if (removing) get().checkpoint("remove", 300);
      const edges = applyEdgeChanges(changes, get().edges);
      if (removing) commit({ edges });
      else set({ edges });
    },

    addNode: (type, position, wire, params) => {
      const s = get();
      const id = newNodeId(type, new Set(s.nodes.map((n) => n.id)));
      s.checkpoint();
      const node = toFlowNode({ id, type, params: params ?? {}, position });
      const nodes = [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), { ...node, selected: true }];
      if (!wire || !s.nodes.some((n) => n.id === wire.nodeId)) {
        commit({ nodes });
        return id;
      }
      const c = wire.side === "source"
        ? { source: wire.nodeId, sourceHandle: wire.handle, target: id, targetHandle: wire.port }
        : { source: id, sourceHandle: wire.port, target: wire.nodeId, targetHandle: wire.handle };
      commit({ nodes, edges: withEdge(s.edges, nodes, c) });
      return id;
    },
    connect: (c) => {
      if (!c.source || !c.target || !c.sourceHandle || !c.targetHandle) return;
      const s = get();
      s.checkpoint();
      commit({ edges: withEdge(s.edges, s.nodes, { source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle }) });
    },
    setParam: (id, name, value) => {
      const s = get();
      s.checkpoint(`param:${id}:${name}`, 1000);
      const nodes = s.nodes.map((n) => {
        if (n.id !== id) return n;
        const params = { ...n.data.params };
        if (value === undefined) delete params[name];
        else params[name] = value;
        return { ...n, data: { ...n.data, params } };
      });
      commit({ nodes });
    },
    setTitle: (id, title) => {
      const s = get();
      s.checkpoint();
      commit({ nodes: s.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, title: title.trim() || null } } : n)) }, false);
    },
    setName: (name) => {
      get().checkpoint("name", 1000);
      commit({ name }, false);
    },
    setPositions: (positions) => {
      const s = get();
      s.checkpoint();
      commit({ nodes: s.nodes.map((n) => (positions[n.id] ? { ...n, position: positions[n.id]! } : n)) }, false);
    },
    removeNodes: (ids) => {
      const s = get();
      const gone = new Set(ids);
      s.checkpoint();
      commit({ nodes: s.nodes.filter((n) => !gone.has(n.id)), edges: s.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)) });
    },
    replaceWithNode: (ids, node, edges) => {
      const s = get();
      const gone = new Set(ids);
      s.checkpoint();
      const kept = s.nodes.filter((n) => !gone.has(n.id));
      const id = newNodeId(node.type, new Set(kept.map((n) => n.id)));
      const nodes = [...kept.map((n) => (n.selected ? { ...n, selected: false } : n)), { ...toFlowNode({ ...node, id }), selected: true }];
      const taken = new Set(s.edges.map((e) => e.id));
      const added = edges.map((e) => {
        const edgeId = newEdgeId(taken);
        taken.add(edgeId);
        const doc = { ...e, id: edgeId, source: e.source === node.id ? id : e.source, target: e.target === node.id ? id : e.target };
        return toFlowEdge(doc, edgeTypeName(nodes, doc.source, doc.source_port));
      });
      commit({ nodes, edges: [...s.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)), ...added] });
      return id;
    },
    dropEdges: (ids) => {
      const gone = new Set(ids);
      const edges = get().edges.filter((e) => !gone.has(e.id));
      if (edges.length !== get().edges.length) commit({ edges });
    },
    selectOnly: (id) => {
      set({
        nodes: get().nodes.map((n) => (n.selected === (n.id === id) ? n : { ...n, selected: n.id === id })),
        edges: get().edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
      });
    },

    copySelection: () => {
      const s = get();
      const picked = s.nodes.filter((n) => n.selected);
      if (!picked.length) return null;
      const ids = new Set(picked.map((n) => n.id));
      const doc = toDocument(picked, s.edges.filter((e) => ids.has(e.source) && ids.has(e.target)), { name: "", description: "" });
      return structuredClone({ nodes: doc.nodes, edges: doc.edges });
    },
    paste: (fragment, offset) => {
      const s = get();
      if (!fragment.nodes.length) return [];
      s.checkpoint();
      const taken = new Set(s.nodes.map((n) => n.id));
      const rename = new Map<string, string>();
      const added = fragment.nodes.map((n) => {
        const id = newNodeId(n.type, taken);
        taken.add(id);
        rename.set(n.id, id);
        const node = toFlowNode({ ...structuredClone(n), id, position: { x: n.position.x + offset.x, y: n.position.y + offset.y } });
        return { ...node, selected: true };
      });
      const nodes = [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...added];
      const edgeIds = new Set(s.edges.map((e) => e.id));
      const edges = [...s.edges];
      for (const e of fragment.edges) {
        const source = rename.get(e.source);
        const target = rename.get(e.target);
        if (!source || !target) continue;
        const id = newEdgeId(edgeIds);
        edgeIds.add(id);
        edges.push(toFlowEdge({ ...e, id, source, target }, edgeTypeName(nodes, source, e.source_port)));
      }
      commit({ nodes, edges });
      return added.map((n) => n.id);
    },

    checkpoint: (key = "", windowMs = 0) => {
      if (get().readOnly) return;
      const now = Date.now();
      if (key && key === lastCheckpoint.key && now - lastCheckpoint.at < windowMs) {
        lastCheckpoint.at = now;
        return; // one undo step for a burst of the same edit (typing in one field)
      }
      lastCheckpoint = { key, at: now };
      const past = [...get().past, snapshot()].slice(-HISTORY_LIMIT);
      set({ past, future: [] });
    },
    undo: () => {
      const { past, future } = get();
      const prev = past[past.length - 1];
      if (!prev) return;
      lastCheckpoint = { key: "", at: 0 };
      restore(prev, past.slice(0, -1), [snapshot(), ...future]);
    },
    undoTo: (depth) => {
      if (depth < 1 || get().readOnly) return;
      while (get().past.length >= depth) get().undo();
    },
    redo: () => {
      const { past, future } = get();
      const next = future[0];
      if (!next) return;
      lastCheckpoint = { key: "", at: 0 };
      restore(next, [...past, snapshot()], future.slice(1));
    },
  };
});

/** A new, empty graph. */
export const resetGraph = (): void => useGraph.getState().load(emptyDocument());

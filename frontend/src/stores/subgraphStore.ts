/** What the canvas knows of subgraphs beyond the open graph: the graphs it left to open a
 * subgraph node's graph (the breadcrumbs), and the name and newest version of each graph a
 * subgraph node runs (a node offers "update to vN" from it). */

import { create } from "zustand";
import { api } from "../api/client";
import type { GraphDocument } from "../api/types";

/** A graph the canvas left to open one of its subgraph nodes. */
export interface Level {
  graphId: string | null;
  version: number | null;
  name: string;
  document: GraphDocument;
  dirty: boolean;
  /** the subgraph node that was opened */
  nodeId: string;
}

export interface SavedInfo {
  name: string;
  latest: number;
}

interface SubgraphState {
  /** the graphs above the open one, outermost first */
  stack: Level[];
  /** graph id -> its name and newest version, as last read */
  saved: Record<string, SavedInfo>;
  learn: (graphId: string, info: SavedInfo) => void;
  /** read what a subgraph node runs (its name, its newest version), once per graph unless `again` */
  lookUp: (graphId: string, again?: boolean) => Promise<void>;
}

const asked = new Set<string>();

export const useSubgraphs = create<SubgraphState>()((set, get) => ({
  stack: [],
  saved: {},
  learn: (graphId, info) => set({ saved: { ...get().saved, [graphId]: info } }),
  lookUp: async (graphId, again = false) => {
    if (!graphId || (asked.has(graphId) && !again)) return;
    asked.add(graphId);
    try {
      const detail = await api.readGraph(graphId);
      get().learn(graphId, { name: detail.name, latest: detail.version });
    } catch {
      asked.delete(graphId); // the validator reports a missing graph on the node
    }
  },
}));

/** Forget the breadcrumbs (another graph was opened from the library, or a new one started). */
export const forgetNesting = (): void => useSubgraphs.setState({ stack: [] });

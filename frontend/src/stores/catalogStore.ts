/** The node catalog (`GET /api/nodes`): what the palette lists and what every node on the
 * canvas reads its ports, widgets and type colours from. */

import { create } from "zustand";
import { api } from "../api/client";
import type { CatalogNode, CatalogResponse } from "../api/types";
import { DEFAULT_TYPE_RULES, rulesOf, type TypeRules } from "../types/typesys";

export interface CatalogState {
  status: "idle" | "loading" | "ready" | "error";
  error: string | null;
  nodes: CatalogNode[];
  byType: Record<string, CatalogNode>;
  categories: string[];
  colors: Record<string, string>;
  loadErrors: CatalogResponse["load_errors"];
  /** the compatibility rule's data, as the catalog ships it (the defaults until it loads) */
  typeRules: TypeRules;
  load: () => Promise<void>;
  setCatalog: (catalog: CatalogResponse) => void;
}

export const FALLBACK_COLOR = "#9ca3af";

export const useCatalog = create<CatalogState>()((set, get) => ({
  status: "idle",
  error: null,
  nodes: [],
  byType: {},
  categories: [],
  colors: {},
  loadErrors: [],
  typeRules: DEFAULT_TYPE_RULES,
  load: async () => {
    if (get().status === "loading") return;
    set({ status: "loading", error: null });
    try {
      get().setCatalog(await api.catalog());
    } catch (err) {
      set({ status: "error", error: (err as Error).message });
    }
  },
  setCatalog: (catalog) => {
    const byType = Object.fromEntries(catalog.nodes.map((n) => [n.type, n]));
    const colors = Object.fromEntries(catalog.types.map((t) => [t.name, t.color]));
    set({ status: "ready", nodes: catalog.nodes, byType, categories: catalog.categories, colors, loadErrors: catalog.load_errors,
          typeRules: rulesOf(catalog) });
  },
}));

/** Each type's colour as a CSS variable (`--type-Text`), so styles stay in CSS. */
export function installTypeColors(colors: Record<string, string>, root: HTMLElement = document.documentElement): void {
  for (const [name, color] of Object.entries(colors)) root.style.setProperty(`--type-${name}`, color);
}

export const typeColorVar = (name: string): string => `var(--type-${name}, ${FALLBACK_COLOR})`;

/** Nodes whose title, type id, category or description match every word of `query`. */
export function searchCatalog(nodes: CatalogNode[], query: string): CatalogNode[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return nodes;
  const scored = nodes
    .map((n) => {
      const hay = `${n.title} ${n.type} ${n.category} ${n.description}`.toLowerCase();
      if (!words.every((w) => hay.includes(w))) return null;
      const title = n.title.toLowerCase();
      const score = title.startsWith(words[0]!) ? 0 : title.includes(words[0]!) ? 1 : n.type.includes(words[0]!) ? 2 : 3;
      return { n, score };
    })
    .filter((x): x is { n: CatalogNode; score: number } => x !== null);
  return scored.sort((a, b) => a.score - b.score || a.n.title.localeCompare(b.n.title)).map((x) => x.n);
}

/** What the chrome around the canvas shows: which dialog is open, which side panel tab,
 * whether the minimap is shown, and requests for the canvas (fit the view, centre a node)
 * made from outside it. */

import { create } from "zustand";
import type { ImportResult } from "../api/types";

export type Dialog =
  | { kind: "open" }
  | { kind: "save" }
  | { kind: "confirm"; title: string; message: string; confirm: string; resolve: (ok: boolean) => void }
  | { kind: "conflict"; current: number; basedOn: number }
  | { kind: "share" }
  | { kind: "api" }
  | { kind: "import"; result: ImportResult }
  | { kind: "shortcuts" };

export type PanelTab = "problems" | "analysis" | "result" | "runs" | "versions" | "evaluate";

interface UiState {
  dialog: Dialog | null;
  tab: PanelTab;
  panelOpen: boolean;
  /** the node whose full result the side panel shows */
  resultNode: string | null;
  fitRequest: number;
  focusRequest: { id: string; n: number } | null;
  /** the minimap is shown (a choice kept in the browser) */
  overview: boolean;
  openDialog: (d: Dialog) => void;
  closeDialog: () => void;
  showTab: (tab: PanelTab) => void;
  togglePanel: () => void;
  showResult: (nodeId: string) => void;
  requestFit: () => void;
  focusNode: (id: string) => void;
  toggleOverview: () => void;
}

const OVERVIEW_KEY = "genaisys.overview";
const stored = (key: string): string | null => {
  try {
    return typeof localStorage === "undefined" ? null : localStorage.getItem(key);
  } catch {
    return null; // storage refused (a sandboxed page): the default, not a crash
  }
};
const keep = (key: string, value: string): void => {
  try {
    if (typeof localStorage !== "undefined") localStorage.setItem(key, value);
  } catch {
    // not kept: the choice lasts for this page only
  }
};

export const useUi = create<UiState>()((set, get) => ({
  dialog: null,
  tab: "problems",
  panelOpen: true,
  resultNode: null,
  fitRequest: 0,
  focusRequest: null,
  overview: stored(OVERVIEW_KEY) !== "hidden",
  openDialog: (dialog) => set({ dialog }),
  closeDialog: () => {
    const d = get().dialog;
    if (d?.kind === "confirm") d.resolve(false);
    set({ dialog: null });
  },
  showTab: (tab) => set({ tab, panelOpen: true }),
  togglePanel: () => set({ panelOpen: !get().panelOpen }),
  showResult: (resultNode) => set({ resultNode, tab: "result", panelOpen: true }),
  requestFit: () => set({ fitRequest: get().fitRequest + 1 }),
  focusNode: (id) => set({ focusRequest: { id, n: (get().focusRequest?.n ?? 0) + 1 } }),
  toggleOverview: () => {
    const overview = !get().overview;
    keep(OVERVIEW_KEY, overview ? "shown" : "hidden");
    set({ overview });
  },
}));

/** Ask the user; resolves true when they confirm. */
export function confirmDialog(title: string, message: string, confirm = "Discard changes"): Promise<boolean> {
  return new Promise((resolve) => {
    useUi.getState().openDialog({
      kind: "confirm", title, message, confirm,
      resolve: (ok) => {
        useUi.setState({ dialog: null });
        resolve(ok);
      },
    });
  });
}

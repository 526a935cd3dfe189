/** What the chrome around the canvas shows: which dialog is open, which side panel tab,
 * and requests for the canvas (fit the view, centre a node) made from outside it. */

import { create } from "zustand";
import type { ImportResult } from "../api/types";

export type Dialog =
  | { kind: "open" }
  | { kind: "save" }
  | { kind: "confirm"; title: string; message: string; confirm: string; resolve: (ok: boolean) => void }
  | { kind: "conflict"; current: number; basedOn: number }
  | { kind: "share" }
  | { kind: "api" }
  | { kind: "import"; result: ImportResult };

export type PanelTab = "problems" | "result" | "runs" | "versions";

interface UiState {
  dialog: Dialog | null;
  tab: PanelTab;
  panelOpen: boolean;
  /** the node whose full result the side panel shows */
  resultNode: string | null;
  fitRequest: number;
  focusRequest: { id: string; n: number } | null;
  openDialog: (d: Dialog) => void;
  closeDialog: () => void;
  showTab: (tab: PanelTab) => void;
  togglePanel: () => void;
  showResult: (nodeId: string) => void;
  requestFit: () => void;
  focusNode: (id: string) => void;
}

export const useUi = create<UiState>()((set, get) => ({
  dialog: null,
  tab: "problems",
  panelOpen: true,
  resultNode: null,
  fitRequest: 0,
  focusRequest: null,
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

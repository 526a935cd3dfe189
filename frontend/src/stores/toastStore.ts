/** Short messages at the bottom of the canvas: a refused connection's reason, a saved graph,
 * an error. A toast may carry one action (a wire removed: "Undo"; a run finished: "Show
 * result"; a graph deleted: "Undo"). */

import { create } from "zustand";

export interface ToastAction {
  label: string;
  run: () => void;
}

export interface Toast {
  id: number;
  kind: "info" | "error" | "success";
  message: string;
  action?: ToastAction;
}

interface ToastState {
  toasts: Toast[];
  push: (kind: Toast["kind"], message: string, ms?: number, action?: ToastAction) => number;
  dismiss: (id: number) => void;
}

let nextId = 1;

export const useToasts = create<ToastState>()((set, get) => ({
  toasts: [],
  push: (kind, message, ms = kind === "error" ? 8000 : 4000, action) => {
    const id = nextId++;
    const toast: Toast = action ? { id, kind, message, action } : { id, kind, message };
    set({ toasts: [...get().toasts.filter((t) => t.message !== message), toast].slice(-5) });
    if (ms > 0) setTimeout(() => get().dismiss(id), ms);
    return id;
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}));

/** A toast with a button stays longer: there must be time to read it and press the button. */
const ACTION_MS = 10_000;

export const toast = {
  info: (m: string, action?: ToastAction) => useToasts.getState().push("info", m, action ? ACTION_MS : undefined, action),
  success: (m: string, action?: ToastAction) => useToasts.getState().push("success", m, action ? ACTION_MS : undefined, action),
  error: (m: string) => useToasts.getState().push("error", m),
};

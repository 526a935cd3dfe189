/** What the Open dialog knows about the saved graphs beyond their list: which of them are the
 * seeded examples (asked once per graph: the answer never changes), and a counter that bumps
 * when a graph was renamed, copied, deleted or restored, so an open list is fetched again. */

import { create } from "zustand";

interface LibraryState {
  /** graph id -> seeded from examples/ */
  examples: Record<string, boolean>;
  changes: number;
  learn: (examples: Record<string, boolean>) => void;
  changed: () => void;
}

export const useLibrary = create<LibraryState>()((set, get) => ({
  examples: {},
  changes: 0,
  learn: (examples) => set({ examples: { ...get().examples, ...examples } }),
  changed: () => set({ changes: get().changes + 1 }),
}));

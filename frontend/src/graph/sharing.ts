/** A share link's page (`/s/{token}`): open the shared graph read-only, every call carrying
 * the token; for a fork link, copy it into one's own graphs and go there (on a server in auth
 * mode, signing in first when asked, then copying). */

import { ApiError, api, needsSignIn, setShareToken } from "../api/client";
import { useAuth } from "../stores/authStore";
import { useGraph } from "../stores/graphStore";
import { useShare } from "../stores/shareStore";
import { toast } from "../stores/toastStore";
import { useUi } from "../stores/uiStore";

/** Every call from now on carries the token (the catalog's included). */
export function enterShare(token: string): void {
  setShareToken(token);
  useShare.getState().begin(token);
}

export async function openShare(token: string): Promise<void> {
  try {
    const shared = await api.readShare(token);
    if (!shared.document) {
      // a demo link: the live demo is all it shows
      if (shared.demo_url) location.replace(shared.demo_url);
      useShare.getState().failed(false, "This link opens a live demo, not the canvas.");
      return;
    }
    const graph = useGraph.getState();
    graph.setReadOnly(false);
    graph.load({ ...shared.document, name: shared.document.name || shared.graph_name });
    graph.setReadOnly(true);
    useGraph.setState((s) => ({ savedRevision: s.revision })); // nothing here is "unsaved work"
    useShare.getState().opened(shared);
    useUi.getState().requestFit();
  } catch (err) {
    const missing = err instanceof ApiError && err.status === 404;
    useShare.getState().failed(missing, (err as Error).message);
  }
}

/** Where a copy opens: the studio, with the new graph in the address. */
export const forkedLocation = (graphId: string): string => `/#graph=${encodeURIComponent(graphId)}`;

export const FORK_SIGN_IN = "Sign in to copy this graph into your own graphs.";

export async function forkShared(): Promise<void> {
  const { token } = useShare.getState();
  if (!token) return;
  try {
    const copy = await api.forkShare(token);
    toast.success(`Copied "${copy.name}" into your graphs`);
    location.assign(forkedLocation(copy.id));
  } catch (err) {
    if (needsSignIn(err)) {
      // viewing needs no account, a copy does: sign in (or not), then copy
      useAuth.getState().require({ reason: FORK_SIGN_IN, then: () => void forkShared(), dismissable: true });
      return;
    }
    toast.error(`Could not copy: ${(err as Error).message}`);
  }
}

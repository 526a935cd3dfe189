/** Start-up and accounts: ask the server who is signed in; on the studio in auth mode, sign in
 * before anything loads. Later, any call answered 401 `auth_required` (session expired, token
 * revoked) opens the sign-in dialog again, the canvas kept as it is; signing out clears it.
 * A share link's page never asks: viewing needs no account, only its fork does (`sharing`). */

import { onAuthRequired } from "../api/client";
import type { User } from "../api/types";
import { useAuth } from "../stores/authStore";
import { useCatalog } from "../stores/catalogStore";
import { resetGraph, useGraph } from "../stores/graphStore";
import { useRun } from "../stores/runStore";
import { isSharePage, parseShareToken, useShare } from "../stores/shareStore";
import { toast } from "../stores/toastStore";
import { useValidation } from "../stores/validationStore";
import { confirmDiscard, locationGraph, openGraph, setLocationGraph } from "./files";
import { enterShare, openShare } from "./sharing";

export const EXPIRED = "Your session has ended (it expired, or its token was revoked). Sign in again: the canvas is kept as it is.";

/** Open the sign-in dialog when a call needs a session (not on a share link's page, and not
 * for the sign-in's own calls). What was on the canvas stays; `resume` follows the sign-in. */
export function handleAuthRequired(path: string): void {
  if (isSharePage() || path.startsWith("/api/auth/")) return;
  const auth = useAuth.getState();
  if (auth.prompt) return; // already asking: one resume is enough
  const before = auth.user;
  auth.require({ reason: auth.status === "signed-in" ? EXPIRED : null, then: () => resume(before) });
}

/** After a sign-in that interrupted work: load what never loaded, check the graph again, and
 * if another account signed in, keep the canvas as a new, unsaved graph of theirs (the open
 * one belongs to the previous account). */
export function resume(before: User | null): void {
  if (useCatalog.getState().status !== "ready") {
    void loadStudio();
    return;
  }
  const now = useAuth.getState().user;
  const g = useGraph.getState();
  if (before && now && before.id !== now.id && g.graphId) {
    g.load(g.document()); // no file: unsaved, and validated as any load is
    useRun.getState().clear();
    setLocationGraph(null);
    toast.info(`Signed in as ${now.name}: the canvas is kept as a new, unsaved graph.`);
    return;
  }
  useValidation.getState().schedule(() => useGraph.getState().document(), g.structureRevision, 0);
}

/** Resolves at the next sign-in (the dialog stays open until then). */
export function signedIn(): Promise<void> {
  return new Promise((resolve) => useAuth.getState().require({ then: resolve }));
}

/** The catalog, then the shared graph (a share link) or the graph in the address. */
export async function loadStudio(token: string | null = useShare.getState().token): Promise<void> {
  await useCatalog.getState().load();
  if (useCatalog.getState().status !== "ready") return;
  if (token) return openShare(token);
  const id = locationGraph();
  if (!id || !(await openGraph(id, false))) resetGraph();
}

export async function start(pathname: string = location.pathname): Promise<void> {
  const token = parseShareToken(pathname);
  if (token) enterShare(token); // before the first call: every call carries the token
  onAuthRequired(handleAuthRequired);
  const status = await useAuth.getState().check();
  if (!token && status === "signed-out") await signedIn();
  await loadStudio(token);
}

/** Sign out (asking first if there is unsaved work): the canvas is cleared, the dialog opens. */
export async function signOut(): Promise<void> {
  if (!(await confirmDiscard("Sign out"))) return;
  const before = useAuth.getState().user;
  if (!(await useAuth.getState().signOut(() => resume(before)))) {
    toast.error("Could not sign out: the server did not answer.");
    return;
  }
  useRun.getState().clear();
  setLocationGraph(null);
  resetGraph();
}

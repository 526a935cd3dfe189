/** Who is signed in, when the server runs in auth mode (`genaisys serve --auth`): the session
 * is an HttpOnly cookie set by `POST /api/auth/login`, so this store only knows whether the
 * server asks for accounts, the user, and the sign-in dialog (open, why, its error). Work
 * that waits for a sign-in (the start-up's loading, a fork to retry) is queued in `after`. */

import { create } from "zustand";
import { ApiError, api } from "../api/client";
import type { AuthMe, User } from "../api/types";

/** unknown: not asked yet; off: no accounts on this server; signed-out: auth on, no session */
export type AuthStatus = "unknown" | "off" | "signed-in" | "signed-out";

export interface AuthState {
  status: AuthStatus;
  user: User | null;
  /** the sign-in dialog is open */
  prompt: boolean;
  /** a line above the field saying why it is asked (session expired, to copy a graph) */
  reason: string | null;
  /** the dialog may be closed without signing in (a share link: viewing needs no account) */
  dismissable: boolean;
  /** the last sign-in's error, shown in the dialog */
  error: string | null;
  busy: boolean;
  /** run, in order, after the next sign-in; dropped when the dialog is dismissed */
  after: (() => void)[];
  /** `GET /api/auth/me`; an older server without it has no accounts */
  check: () => Promise<AuthStatus>;
  setMe: (me: AuthMe) => void;
  /** open the sign-in dialog (already open: keep it, adding `then` to what waits) */
  require: (opts?: { reason?: string | null; then?: () => void; dismissable?: boolean }) => void;
  signIn: (token: string) => Promise<boolean>;
  /** `POST /api/auth/logout`, then the dialog (`then` runs after the next sign-in); false
   * when the server could not be told */
  signOut: (then?: () => void) => Promise<boolean>;
  dismiss: () => void;
}

export const useAuth = create<AuthState>()((set, get) => ({
  status: "unknown",
  user: null,
  prompt: false,
  reason: null,
  dismissable: false,
  error: null,
  busy: false,
  after: [],
  check: async () => {
    try {
      get().setMe(await api.me());
    } catch (err) {
      // 404: a server from before accounts; anything else: the catalog's load reports it
      if (!(err instanceof ApiError)) throw err;
      set({ status: "off", user: null });
    }
    return get().status;
  },
  setMe: (me) => set(me.auth ? (me.user ? { status: "signed-in", user: me.user } : { status: "signed-out", user: null }) : { status: "off", user: null }),
  require: ({ reason = null, then, dismissable = false } = {}) => {
    const s = get();
    const after = then ? [...s.after, then] : s.after;
    if (s.prompt) {
      set({ after, reason: reason ?? s.reason });
      return;
    }
    set({ prompt: true, reason, dismissable, error: null, busy: false, after, status: "signed-out" });
  },
  signIn: async (token) => {
    const t = token.trim();
    if (!t) {
      set({ error: "Paste your API token first." });
      return false;
    }
    set({ busy: true, error: null });
    try {
      const me = await api.login(t);
      const after = get().after;
      set({ status: "signed-in", user: me.user, prompt: false, reason: null, dismissable: false, error: null, busy: false, after: [] });
      for (const f of after) f();
      return true;
    } catch (err) {
      set({ busy: false, error: (err as Error).message }); // a wrong token: the server's 401 invalid_token says so
      return false;
    }
  },
  signOut: async (then) => {
    try {
      await api.logout();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) return false; // 401: already signed out
    }
    set({ status: "signed-out", user: null, after: [] });
    get().require(then ? { then } : {});
    return true;
  },
  dismiss: () => {
    if (!get().dismissable) return;
    set({ prompt: false, reason: null, error: null, busy: false, after: [] });
  },
}));

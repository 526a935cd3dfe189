/** Sign in with an API token (a server in auth mode). On the studio it cannot be closed:
 * nothing loads without a session. On a share link (to copy a graph) it can: viewing needs
 * no account. Enter submits; a wrong token's error shows under the field. The views take
 * their state as props (the tests render them); the exported wrappers read the auth store. */

import { type FormEvent, useState } from "react";
import type { User } from "../api/types";
import { useAuth } from "../stores/authStore";
import { Modal } from "./Modal";

export interface SignInFormProps {
  reason: string | null;
  error: string | null;
  busy: boolean;
  onSubmit: (token: string) => void;
  /** null: the dialog cannot be closed without signing in */
  onDismiss: (() => void) | null;
}

export function SignInForm({ reason, error, busy, onSubmit, onDismiss }: SignInFormProps) {
  const [token, setToken] = useState("");
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    onSubmit(token);
  };
  return (
    <Modal title="Sign in" onClose={onDismiss}>
      <form className="dialog-form sign-in" onSubmit={submit} data-testid="sign-in">
        {reason && <p className="sign-in-reason">{reason}</p>}
        <label>
          API token
          <input type="password" name="token" value={token} onChange={(e) => setToken(e.target.value)} autoFocus
            autoComplete="current-password" spellCheck={false} aria-invalid={error ? true : undefined}
            aria-describedby={error ? "sign-in-error" : undefined} />
        </label>
        {error && <p className="error" id="sign-in-error" role="alert">{error}</p>}
        <p className="muted sign-in-hint">
          Ask the server's admin for a token: <code>genaisys users add &lt;name&gt;</code>
        </p>
        <div className="dialog-actions">
          {onDismiss && <button type="button" className="btn" onClick={onDismiss}>Cancel</button>}
          <button type="submit" className="btn primary" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
        </div>
      </form>
    </Modal>
  );
}

const signIn = (token: string): void => void useAuth.getState().signIn(token);
const dismiss = (): void => useAuth.getState().dismiss();

export function SignInDialog() {
  const open = useAuth((s) => s.prompt);
  const reason = useAuth((s) => s.reason);
  const error = useAuth((s) => s.error);
  const busy = useAuth((s) => s.busy);
  const dismissable = useAuth((s) => s.dismissable);
  if (!open) return null;
  return <SignInForm reason={reason} error={error} busy={busy} onSubmit={signIn} onDismiss={dismissable ? dismiss : null} />;
}

export function AccountView({ user, onSignOut }: { user: User | null; onSignOut: () => void }) {
  if (!user) return null;
  return (
    <div className="account" data-testid="account">
      <span className="account-name" title={`Signed in as ${user.name}`}>{user.name}</span>
      <button type="button" className="btn small" onClick={onSignOut}>Sign out</button>
    </div>
  );
}

/** The signed-in user and "Sign out", in the toolbar (nothing when the server has no accounts). */
export function Account({ onSignOut }: { onSignOut: () => void }) {
  const user = useAuth((s) => (s.status === "signed-in" ? s.user : null));
  return <AccountView user={user} onSignOut={onSignOut} />;
}

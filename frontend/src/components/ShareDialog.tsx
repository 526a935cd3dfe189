/** Share the open saved graph: make a link (view, fork or demo; pinned to this version or
 * following the latest; optional expiry), and list the graph's links to copy or revoke. */

import { type FormEvent, useCallback, useEffect, useState } from "react";
import { api } from "../api/client";
import type { ShareMode, SharePublic } from "../api/types";
import { EXPIRY_DAYS, MODES, absoluteUrl, shareRequest, shareState, shareSummary, sortShares } from "../graph/shareLinks";
import { isDirty, useGraph } from "../stores/graphStore";
import { toast } from "../stores/toastStore";
import { CopyButton } from "./CopyButton";
import { Modal } from "./Modal";

function NewLinkForm({ graphId, version, onCreated }: { graphId: string; version: number; onCreated: (s: SharePublic) => void }) {
  const [mode, setMode] = useState<ShareMode>("view");
  const [pin, setPin] = useState(true);
  const [days, setDays] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      onCreated(await api.createShare(graphId, shareRequest(mode, pin, version, days)));
    } catch (err) {
      toast.error(`No link made: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="dialog-form share-form" onSubmit={(e) => void submit(e)}>
      <fieldset className="choices" aria-label="mode">
        {MODES.map((m) => (
          <label key={m.mode} className="choice">
            <input type="radio" name="mode" value={m.mode} checked={mode === m.mode} onChange={() => setMode(m.mode)} />
            <b>{m.label}</b> <span className="muted">{m.help}</span>
          </label>
        ))}
      </fieldset>
      <div className="share-options">
        <label>Version
          <select value={pin ? "pin" : "latest"} onChange={(e) => setPin(e.target.value === "pin")} aria-label="version">
            <option value="pin">this version (v{version})</option>
            <option value="latest">always the latest</option>
          </select>
        </label>
        <label>Expires
          <select value={days ?? ""} onChange={(e) => setDays(e.target.value ? Number(e.target.value) : null)} aria-label="expires">
            {EXPIRY_DAYS.map((x) => <option key={x.label} value={x.days ?? ""}>{x.label}</option>)}
          </select>
        </label>
        <button type="submit" className="btn primary" disabled={busy}>Create link</button>
      </div>
    </form>
  );
}

function LinkRow({ share, fresh, onRevoke }: { share: SharePublic; fresh: boolean; onRevoke: (token: string) => void }) {
  const state = shareState(share);
  const url = absoluteUrl(share.url, location.origin);
  return (
    <li className={`share-link ${state}${fresh ? " fresh" : ""}`} data-token={share.token} data-mode={share.mode} data-state={state}>
      <div className="share-head">
        <span className="share-summary">{shareSummary(share)}</span>
        {state !== "active" && <span className="share-state">{state}</span>}
      </div>
      <div className="share-url-row">
        <input className="share-url" readOnly value={url} onFocus={(e) => e.target.select()} aria-label="share link" />
        <CopyButton text={url} what="link" />
        {state === "active" && <button type="button" className="btn small danger" onClick={() => onRevoke(share.token)}>Revoke</button>}
      </div>
    </li>
  );
}

export function ShareDialog() {
  const graphId = useGraph((s) => s.graphId);
  const version = useGraph((s) => s.version);
  const dirty = useGraph(isDirty);
  const [shares, setShares] = useState<SharePublic[] | null>(null);
  const [fresh, setFresh] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    if (!graphId) return;
    api.listShares(graphId).then((p) => setShares(sortShares(p.data)), (err: Error) => setError(err.message));
  }, [graphId]);
  useEffect(reload, [reload]);
  const revoke = async (token: string): Promise<void> => {
    try {
      await api.revokeShare(token);
      toast.info("Link revoked: it now answers “not found”.");
    } catch (err) {
      toast.error(`Not revoked: ${(err as Error).message}`);
    }
    reload();
  };
  if (!graphId || !version) {
    return <Modal title="Share"><p>Save the graph first: a link shares a saved graph.</p></Modal>;
  }
  return (
    <Modal title="Share" wide>
      {dirty && <p className="note">Unsaved edits are not shared: a link shows saved versions.</p>}
      <NewLinkForm graphId={graphId} version={version} onCreated={(s) => { setFresh(s.token); reload(); }} />
      <h3 className="section-title">Links</h3>
      {error && <p className="error">{error}</p>}
      <ul className="share-links" aria-label="share links">
        {shares?.map((s) => <LinkRow key={s.token} share={s} fresh={s.token === fresh} onRevoke={(t) => void revoke(t)} />)}
        {shares && !shares.length && <li className="muted">No links yet.</li>}
      </ul>
    </Modal>
  );
}

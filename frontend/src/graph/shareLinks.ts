/** Share links of a saved graph, as the share dialog words them. */

import type { ShareCreate, ShareMode, SharePublic } from "../api/types";
import { when } from "../format";

export const MODES: { mode: ShareMode; label: string; help: string }[] = [
  { mode: "view", label: "View", help: "a read-only canvas" },
  { mode: "fork", label: "Fork", help: "read-only, with “Copy to my graphs”" },
  { mode: "demo", label: "Demo", help: "the live demo only (its io inputs and outputs)" },
];

export const EXPIRY_DAYS: { days: number | null; label: string }[] = [
  { days: null, label: "never" },
  { days: 1, label: "in 1 day" },
  { days: 7, label: "in 7 days" },
  { days: 30, label: "in 30 days" },
];

/** The request body: pinned to `version` unless following the latest. */
export function shareRequest(mode: ShareMode, pin: boolean, version: number | null, days: number | null): ShareCreate {
  return { mode, version: pin ? version : null, expires_in_days: days };
}

/** The link as a person pastes it: absolute, on this server. */
export function absoluteUrl(url: string, origin: string): string {
  return /^https?:\/\//.test(url) ? url : `${origin.replace(/\/+$/, "")}/${url.replace(/^\/+/, "")}`;
}

export function shareState(share: SharePublic, now = Date.now()): "active" | "revoked" | "expired" {
  if (share.revoked_at) return "revoked";
  if (!share.active || (share.expires_at && Date.parse(/Z|[+-]\d\d:?\d\d$/.test(share.expires_at) ? share.expires_at : `${share.expires_at}Z`) <= now)) return "expired";
  return "active";
}

export function shareSummary(share: SharePublic): string {
  const version = share.version === null ? "latest version" : `v${share.version}`;
  const expiry = share.expires_at ? `expires ${when(share.expires_at)}` : "no expiry";
  return `${share.mode} · ${version} · ${expiry}`;
}

/** Active links first, then newest first. */
export function sortShares(shares: SharePublic[], now = Date.now()): SharePublic[] {
  const rank = (s: SharePublic): number => (shareState(s, now) === "active" ? 0 : 1);
  return [...shares].sort((a, b) => rank(a) - rank(b) || b.created_at.localeCompare(a.created_at));
}

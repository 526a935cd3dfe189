/** A node output as a person reads it: text, an image, an audio player, or JSON. Values
 * come from app/services/outputs.py: small ones inline, large ones as artifact references. */

import { memo } from "react";
import type { ArtifactRef } from "../api/types";

export function isArtifact(v: unknown): v is ArtifactRef {
  return typeof v === "object" && v !== null && typeof (v as ArtifactRef).$artifact === "string";
}

interface ArrayValue {
  shape: number[];
  dtype: string;
  values?: unknown;
}

const isArray = (v: unknown): v is ArrayValue =>
  typeof v === "object" && v !== null && Array.isArray((v as ArrayValue).shape) && typeof (v as ArrayValue).dtype === "string";

/** A one-line summary, for intermediate nodes' previews. */
export function summarize(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v.length > 120 ? `${v.slice(0, 120)}…` : v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (isArtifact(v)) {
    if (v.mime.startsWith("image/")) return `image ${v.width ?? "?"}×${v.height ?? "?"}`;
    if (v.mime.startsWith("audio/")) return `audio ${v.seconds ?? "?"} s`;
    if (v.shape) return `array [${v.shape.join("×")}]`;
    return `${v.mime} · ${(v.size / 1024).toFixed(1)} KiB`;
  }
  if (isArray(v)) return `array [${v.shape.join("×")}] ${v.dtype}`;
  if (Array.isArray(v)) return `${v.length} item${v.length === 1 ? "" : "s"}`;
  const keys = Object.keys(v as object);
  return `{${keys.slice(0, 4).join(", ")}${keys.length > 4 ? ", …" : ""}}`;
}

function ValueView({ value, full }: { value: unknown; full: boolean }) {
  if (typeof value === "string") return <div className={`out-text${full ? " full" : ""}`}>{value}</div>;
  if (isArtifact(value)) {
    if (value.mime.startsWith("image/")) return <img className="out-image" src={value.url} alt="output" />;
    if (value.mime.startsWith("audio/")) return <audio className="out-audio nodrag" controls src={value.url} />;
    if (value.preview !== undefined) {
      return (
        <div className={`out-text${full ? " full" : ""}`}>
          {value.preview}
          {full && <a className="out-link" href={value.url} target="_blank" rel="noreferrer"> (whole {value.mime.split(";")[0]})</a>}
        </div>
      );
    }
    return <a className="out-link" href={value.url} target="_blank" rel="noreferrer">{summarize(value)}</a>;
  }
  if (value === null || value === undefined || typeof value !== "object") return <div className="out-text">{String(value)}</div>;
  const json = JSON.stringify(value, null, 2);
  return <pre className={`out-json nowheel${full ? " full" : ""}`}>{full || json.length < 1500 ? json : `${json.slice(0, 1500)}\n…`}</pre>;
}

interface Props {
  outputs: Record<string, unknown>;
  /** show each output in full (io output nodes, the side panel) or as one line each */
  full: boolean;
  labels?: Record<string, string>;
}

function OutputPreviewImpl({ outputs, full, labels }: Props) {
  const entries = Object.entries(outputs);
  if (!entries.length) return null;
  if (!full) {
    return (
      <div className="out-summary">
        {entries.map(([k, v]) => (
          <div key={k} className="out-line" title={summarize(v)}>
            <span className="out-port">{labels?.[k] ?? k}</span> {summarize(v)}
          </div>
        ))}
      </div>
    );
  }
  return (
    <div className="out-full">
      {entries.map(([k, v]) => (
        <div key={k} className="out-item">
          {entries.length > 1 && <div className="out-port">{labels?.[k] ?? k}</div>}
          <ValueView value={v} full={full} />
        </div>
      ))}
    </div>
  );
}

export const OutputPreview = memo(OutputPreviewImpl);

/** An image preview sent while a node runs (a denoiser's latents), if it is one we can show. */
export function previewSrc(preview: unknown): string | null {
  if (typeof preview === "string" && preview.startsWith("data:image/")) return preview;
  if (isArtifact(preview) && preview.mime.startsWith("image/")) return preview.url;
  if (typeof preview === "object" && preview !== null && typeof (preview as { url?: unknown }).url === "string") {
    return (preview as { url: string }).url;
  }
  return null;
}

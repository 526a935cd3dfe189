/** A parameter's widget, picked by the catalog's `widget` hint. Every control carries
 * `nodrag` (and text areas `nowheel`) so editing never drags the node or zooms the canvas. */

import { memo, useEffect, useState } from "react";
import type { CatalogInput } from "../api/types";
import { api } from "../api/client";
import { useGraph } from "../stores/graphStore";
import { toast } from "../stores/toastStore";

interface Props {
  nodeId: string;
  spec: CatalogInput;
  value: unknown;
  disabled: boolean;
}

const set = (nodeId: string, name: string, value: unknown): void => useGraph.getState().setParam(nodeId, name, value);

/** Local text while typing, re-synced when the stored value changes (undo, load). */
function useDraft(value: string): [string, (v: string) => void] {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return [draft, setDraft];
}

function NumberWidget({ nodeId, spec, value, disabled }: Props) {
  const integer = spec.type.name === "Integer";
  const shown = value === undefined || value === null ? "" : String(value);
  const [draft, setDraft] = useDraft(shown);
  const onChange = (text: string): void => {
    setDraft(text);
    if (text.trim() === "") return set(nodeId, spec.name, undefined); // back to the default
    const n = integer ? Number.parseInt(text, 10) : Number.parseFloat(text);
    if (Number.isFinite(n) && String(n) !== shown) set(nodeId, spec.name, n);
  };
  const slider = spec.widget === "slider" && spec.min !== null && spec.max !== null;
  return (
    <div className="widget-number">
      {slider && (
        <input className="nodrag" type="range" disabled={disabled} min={spec.min ?? undefined} max={spec.max ?? undefined}
          step={spec.step ?? (integer ? 1 : "any")} value={draft === "" ? String(spec.default ?? spec.min) : draft}
          onChange={(e) => onChange(e.target.value)} aria-label={spec.label} />
      )}
      <input className="nodrag widget" type="number" name={spec.name} disabled={disabled} value={draft}
        placeholder={spec.has_default && spec.default !== null ? String(spec.default) : ""}
        min={spec.min ?? undefined} max={spec.max ?? undefined} step={spec.step ?? (integer ? 1 : "any")}
        onChange={(e) => onChange(e.target.value)} aria-label={spec.label} />
    </div>
  );
}

function JsonWidget({ nodeId, spec, value, disabled }: Props) {
  const shown = value === undefined ? "" : JSON.stringify(value, null, 1);
  const [draft, setDraft] = useDraft(shown);
  const [bad, setBad] = useState<string | null>(null);
  const onChange = (text: string): void => {
    setDraft(text);
    if (text.trim() === "") {
      setBad(null);
      return set(nodeId, spec.name, undefined);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      setBad(null);
      set(nodeId, spec.name, parsed);
    } catch (err) {
      setBad((err as Error).message);
    }
  };
  return (
    <textarea className={`nodrag nowheel widget widget-json${bad ? " invalid" : ""}`} name={spec.name} disabled={disabled}
      rows={3} value={draft} spellCheck={false} title={bad ?? undefined} placeholder="JSON"
      onChange={(e) => onChange(e.target.value)} aria-label={spec.label} />
  );
}

function TextWidget({ nodeId, spec, value, disabled }: Props) {
  const text = typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
  const file = spec.widget === "file" || spec.widget === "audio" || spec.widget === "image";
  if (spec.widget === "multiline" || text.includes("\n")) { // a line break would vanish from an <input>
    return (
      <textarea className="nodrag nowheel widget widget-multiline" name={spec.name} disabled={disabled} rows={3}
        value={text} onChange={(e) => set(nodeId, spec.name, e.target.value)} aria-label={spec.label} />
    );
  }
  const field = (
    <input className="nodrag widget" type="text" name={spec.name} disabled={disabled} value={text} spellCheck={false}
      placeholder={file ? `path of the ${spec.widget} on the server` : ""}
      onChange={(e) => set(nodeId, spec.name, e.target.value)} aria-label={spec.label} />
  );
  if (!file) return field;
  return (
    <div className="widget-file">
      {field}
      <UploadButton nodeId={nodeId} name={spec.name} kind={spec.widget ?? "file"} disabled={disabled} />
    </div>
  );
}

const ACCEPT: Record<string, string> = {
  audio: "audio/*,.wav,.mp3,.flac,.ogg",
  image: "image/*",
  file: ".txt,.md,.html,.htm,.pdf,.json,.csv,audio/*,image/*",
};

/** Sends a chosen file to the server (typed there by its content) and puts the stored
 * file's path into the parameter. */
function UploadButton({ nodeId, name, kind, disabled }: { nodeId: string; name: string; kind: string; disabled: boolean }) {
  const [busy, setBusy] = useState(false);
  const onPick = async (chosen: File | undefined): Promise<void> => {
    if (!chosen) return;
    setBusy(true);
    try {
      const stored = await api.upload(chosen);
      set(nodeId, name, stored.path);
      toast.success(`uploaded ${stored.filename} (${stored.mime})`);
    } catch (err) {
      toast.error(`upload of ${chosen.name} failed: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <label className={`nodrag upload-button${busy ? " busy" : ""}`} title={`upload a ${kind}`}>
      {busy ? "…" : "Upload"}
      <input type="file" hidden disabled={disabled || busy} accept={ACCEPT[kind] ?? ACCEPT.file}
        aria-label={`upload ${name}`} onChange={(e) => void onPick(e.target.files?.[0])} />
    </label>
  );
}

function ParamWidgetImpl(props: Props) {
  const { nodeId, spec, disabled } = props;
  const value = props.value === undefined ? (spec.has_default ? spec.default : undefined) : props.value;
  switch (spec.widget) {
    case "checkbox":
      return (
        <input className="nodrag widget-checkbox" type="checkbox" name={spec.name} disabled={disabled} checked={Boolean(value)}
          onChange={(e) => set(nodeId, spec.name, e.target.checked)} aria-label={spec.label} />
      );
    case "select":
      return (
        <select className="nodrag widget" name={spec.name} disabled={disabled} value={value === undefined ? "" : String(value)}
          onChange={(e) => set(nodeId, spec.name, spec.choices?.find((c) => String(c) === e.target.value) ?? e.target.value)}
          aria-label={spec.label}>
          {value === undefined && <option value="">—</option>}
          {(spec.choices ?? []).map((c) => <option key={String(c)} value={String(c)}>{String(c)}</option>)}
        </select>
      );
    case "number":
    case "slider":
      return <NumberWidget {...props} value={props.value ?? undefined} />;
    case "json":
      return <JsonWidget {...props} value={value} />;
    default:
      return <TextWidget {...props} value={value} />;
  }
}

export const ParamWidget = memo(ParamWidgetImpl);

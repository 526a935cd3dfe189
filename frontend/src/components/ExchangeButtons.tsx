/** Toolbar buttons that move a graph in and out: Import (a file), Export (a download),
 * Share (links), API (curl / Python). */

import { useRef } from "react";
import { exportGraph, importFile, pickGraphFile } from "../graph/transfer";
import { useGraph } from "../stores/graphStore";
import { useUi } from "../stores/uiStore";

export function ExchangeButtons() {
  const picker = useRef<HTMLInputElement>(null);
  const saved = useGraph((s) => s.graphId !== null);
  const open = useUi.getState().openDialog;
  const onPick = (files: FileList | null): void => {
    const file = pickGraphFile(files) ?? files?.[0];
    if (picker.current) picker.current.value = ""; // the same file may be picked again
    if (file) void importFile(file);
  };
  const needsSave = saved ? undefined : "Save the graph first";
  return (
    <div className="btn-group">
      <button type="button" className="btn" onClick={() => picker.current?.click()} title="Import a graph file (or drop it on the canvas)">Import</button>
      <input ref={picker} type="file" hidden accept=".json,application/json" aria-label="import graph file" onChange={(e) => onPick(e.target.files)} />
      <button type="button" className="btn" onClick={exportGraph} title="Download the graph as a .genaisys.json file">Export</button>
      <button type="button" className="btn" disabled={!saved} onClick={() => open({ kind: "share" })} title={needsSave ?? "Share a link to this graph"}>Share</button>
      <button type="button" className="btn" disabled={!saved} onClick={() => open({ kind: "api" })} title={needsSave ?? "Call this graph from a program"}>API</button>
    </div>
  );
}

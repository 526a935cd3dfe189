/** Save (Ctrl+S): the graph's name and an optional message for this version. */

import { type FormEvent, useState } from "react";
import { saveGraph } from "../graph/files";
import { useGraph } from "../stores/graphStore";
import { useUi } from "../stores/uiStore";
import { Modal } from "./Modal";

export function SaveDialog() {
  const [name, setName] = useState(useGraph.getState().name);
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);
  const version = useGraph((s) => s.version);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    if (name.trim() && name !== useGraph.getState().name) useGraph.getState().setName(name.trim());
    const ok = await saveGraph(message.trim());
    setBusy(false);
    if (ok) useUi.setState({ dialog: null });
  };
  return (
    <Modal title={version ? `Save version ${version + 1}` : "Save graph"}>
      <form className="dialog-form" onSubmit={(e) => void submit(e)}>
        <label>Name<input value={name} onChange={(e) => setName(e.target.value)} autoFocus={!version} aria-label="name" /></label>
        <label>Message <span className="muted">(optional: what changed)</span>
          <input value={message} onChange={(e) => setMessage(e.target.value)} autoFocus={Boolean(version)} aria-label="message" />
        </label>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={() => useUi.getState().closeDialog()}>Cancel</button>
          <button type="submit" className="btn primary" disabled={busy}>Save</button>
        </div>
      </form>
    </Modal>
  );
}

/** The open dialog, if any: open, save, confirm, the save conflict, share, API, an import's
 * report, or the keyboard shortcuts. */

import { reloadTheirs, saveAsCopy, saveOverTheirs } from "../graph/files";
import { useUi } from "../stores/uiStore";
import { ApiDialog } from "./ApiDialog";
import { ImportReportDialog } from "./ImportReportDialog";
import { Modal } from "./Modal";
import { OpenDialog } from "./OpenDialog";
import { SaveDialog } from "./SaveDialog";
import { ShareDialog } from "./ShareDialog";
import { ShortcutsDialog } from "./ShortcutsDialog";

function ConflictDialog({ current, basedOn }: { current: number; basedOn: number }) {
  return (
    <Modal title="Someone saved this graph first">
      <p>
        Version {current} was saved after version {basedOn}, which your edits started from. Your document is still here, unchanged:
        choose what to do with it.
      </p>
      <div className="dialog-actions column">
        <button type="button" className="btn primary" onClick={() => void saveAsCopy()}>Save mine as a copy</button>
        <button type="button" className="btn" onClick={() => void saveOverTheirs(current)}>Save mine as the newest version (theirs stays in history)</button>
        <button type="button" className="btn" onClick={() => void reloadTheirs()}>Reload theirs (mine stays one Ctrl+Z away)</button>
        <button type="button" className="btn ghost" onClick={() => useUi.getState().closeDialog()}>Keep editing</button>
      </div>
    </Modal>
  );
}

export function Dialogs() {
  const dialog = useUi((s) => s.dialog);
  if (!dialog) return null;
  switch (dialog.kind) {
    case "open":
      return <OpenDialog />;
    case "save":
      return <SaveDialog />;
    case "share":
      return <ShareDialog />;
    case "api":
      return <ApiDialog />;
    case "import":
      return <ImportReportDialog result={dialog.result} />;
    case "shortcuts":
      return <ShortcutsDialog />;
    case "conflict":
      return <ConflictDialog current={dialog.current} basedOn={dialog.basedOn} />;
    case "confirm":
      return (
        <Modal title={dialog.title}>
          <p>{dialog.message}</p>
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={() => dialog.resolve(false)}>Cancel</button>
            <button type="button" className="btn danger" autoFocus onClick={() => dialog.resolve(true)}>{dialog.confirm}</button>
          </div>
        </Modal>
      );
  }
}

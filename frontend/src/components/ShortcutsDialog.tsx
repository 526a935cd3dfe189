/** "?" or F1: the canvas's keyboard shortcuts and mouse gestures, from `SHORTCUTS` (the
 * editing ones only where the graph can be edited). */

import { SHORTCUTS, type Shortcut } from "../hooks/useShortcuts";
import { useGraph } from "../stores/graphStore";
import { Modal } from "./Modal";

const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);
const keyLabel = (k: string): string => (isMac ? k.replace(/Ctrl\+/g, "⌘") : k);

function Rows({ items }: { items: Shortcut[] }) {
  return (
    <table className="shortcuts">
      <tbody>
        {items.map((s) => (
          <tr key={s.what}>
            <td className="shortcut-keys">
              {s.keys.map((k, i) => (
                <span key={k}>{i > 0 && <span className="muted"> or </span>}{s.mouse ? <span className="gesture">{k}</span> : <kbd>{keyLabel(k)}</kbd>}</span>
              ))}
            </td>
            <td>{s.what}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ShortcutsDialog() {
  const readOnly = useGraph((s) => s.readOnly);
  const shown = SHORTCUTS.filter((s) => !readOnly || !s.edit);
  return (
    <Modal title="Keyboard shortcuts" wide>
      <div className="shortcuts-body">
        <h3 className="section-title">Keys</h3>
        <Rows items={shown.filter((s) => !s.mouse)} />
        <h3 className="section-title">Mouse</h3>
        <Rows items={shown.filter((s) => s.mouse)} />
      </div>
    </Modal>
  );
}

/** A dialog over the app; Escape or a click outside closes it (by default the open dialog of
 * the ui store; `onClose={null}`: a dialog that cannot be closed, only answered). */

import type { ReactNode } from "react";
import { useUi } from "../stores/uiStore";

export function Modal({ title, children, wide = false, onClose }: {
  title: string;
  children: ReactNode;
  wide?: boolean;
  onClose?: (() => void) | null;
}) {
  const close = onClose === undefined ? useUi.getState().closeDialog : onClose;
  return (
    <div className="modal-backdrop" onMouseDown={(e) => close && e.target === e.currentTarget && close()}
      onKeyDown={(e) => close && e.key === "Escape" && close()}>
      <div className={`modal${wide ? " wide" : ""}`} role="dialog" aria-modal="true" aria-label={title}>
        <header className="modal-head">
          <h2>{title}</h2>
          {close && <button type="button" className="btn icon" onClick={close} aria-label="Close">✕</button>}
        </header>
        {children}
      </div>
    </div>
  );
}

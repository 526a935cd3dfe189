/** A dialog over the app; Escape or a click outside closes it. */

import type { ReactNode } from "react";
import { useUi } from "../stores/uiStore";

export function Modal({ title, children, wide = false }: { title: string; children: ReactNode; wide?: boolean }) {
  const close = useUi.getState().closeDialog;
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}
      onKeyDown={(e) => e.key === "Escape" && close()}>
      <div className={`modal${wide ? " wide" : ""}`} role="dialog" aria-modal="true" aria-label={title}>
        <header className="modal-head">
          <h2>{title}</h2>
          <button type="button" className="btn icon" onClick={close} aria-label="Close">✕</button>
        </header>
        {children}
      </div>
    </div>
  );
}

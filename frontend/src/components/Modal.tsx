/** A dialog over the app; Escape or a click outside closes it (by default the open dialog of
 * the ui store; `onClose={null}`: a dialog that cannot be closed, only answered). Escape is
 * heard wherever the focus is, unless it is in another dialog (the sign-in one over this). */

import { type ReactNode, useEffect, useRef } from "react";
import { useUi } from "../stores/uiStore";

export function Modal({ title, children, wide = false, onClose }: {
  title: string;
  children: ReactNode;
  wide?: boolean;
  onClose?: (() => void) | null;
}) {
  const close = onClose === undefined ? useUi.getState().closeDialog : onClose;
  const box = useRef<HTMLDivElement>(null);
  // the focus comes into the dialog when it opens (from the keyboard too) if no field took it
  useEffect(() => {
    if (box.current && !box.current.contains(document.activeElement)) box.current.focus();
  }, []);
  useEffect(() => {
    if (!close) return;
    const onKey = (e: KeyboardEvent): void => {
      const focus = document.activeElement;
      const elsewhere = focus?.closest(".modal") && !box.current?.contains(focus);
      if (e.key === "Escape" && !e.defaultPrevented && !elsewhere) close();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [close]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => close && e.target === e.currentTarget && close()}>
      <div className={`modal${wide ? " wide" : ""}`} role="dialog" aria-modal="true" aria-label={title} ref={box} tabIndex={-1}>
        <header className="modal-head">
          <h2>{title}</h2>
          {close && <button type="button" className="btn icon" onClick={close} aria-label="Close">✕</button>}
        </header>
        {children}
      </div>
    </div>
  );
}
